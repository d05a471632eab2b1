// Edit recipes: a JSON file holding everything needed to reproduce an edit exactly (source and
// model with their SHA-256, crop transform, slider values, detail level, sampling settings).
#pragma once

#include <QMap>
#include <QString>
#include <QStringList>

#include <array>

struct Recipe {
  QString source;             // photo path; empty when the image is a sample
  QString sourceSha256;
  std::array<double, 6> transform{};
  int sampleIndex = -1;       // when the image is a sample: its index, count, T and seed
  int sampleCount = 0;
  double sampleTemperature = 0.7;
  quint64 sampleSeed = 0;
  QString model;
  QString modelSha256;
  QMap<QString, double> sliders;  // attribute name -> value
  int finestLevel = 0;
  QStringList locked;             // attributes held fixed while the others moved
};

// SHA-256 of a file as hex; empty if it cannot be read.
QString fileSha256(const QString& path);
// Writes atomically (QSaveFile); returns an error message, empty on success.
QString saveRecipe(const QString& path, const Recipe& recipe);
// Reads and validates; on failure returns false and sets `error` to a message naming the file.
bool loadRecipe(const QString& path, Recipe& recipe, QString& error);
