// Autosave: a window's edit kept on disk while it runs, so a crash loses nothing. One file per
// window (<folder>/<id>.json, written atomically), held by a lock file while the window lives; a
// photo without a file (pasted, dropped) is kept beside it as <id>-photo.png. A clean close removes
// them. A file whose lock is stale (its process is gone) is an orphan: the next start offers it.
// The edit is stored as a recipe (engine/bundle/recipe.h: model, photo and crop or sample, sliders,
// holds, detail) plus what only the window has (device, blend, the second image, the samples drawn).
#pragma once

#include <QString>
#include <QStringList>

#include <memory>

#include "edit_document.h"

class QLockFile;

// What the window keeps besides a recipe (and gives MainWindow::applyRecipe on a restore).
struct RecipeExtras {
  ImageOrigin origin = ImageOrigin::File;  // Clipboard/Dropped: the recipe's source is the kept PNG
  SecondRef second;
  int blend = 0;
  bool spherical = true;
  int samplesCount = 0;  // the samples that were on show (0: none)
  double samplesTemperature = 0.7;
  quint64 samplesSeed = 0;
};

// What a restore needs, as read back.
struct AutosaveData {
  glowlab::Recipe recipe;
  QString device = QStringLiteral("auto");
  RecipeExtras extras;
  int restoreAttempts = 0;
  // "astronaut.png: Smiling +1.50, Blond hair +0.80" (what the restore offer says).
  QString describe() const;
};

struct SampleDraw {
  int count = 0;
  double temperature = 0.7;
  quint64 seed = 0;
};

class Autosave {
 public:
  // GLOWLAB_AUTOSAVE_DIR when set, else <the application's data folder>/autosave.
  static QString folder();
  // Takes a new file name in `folder` and locks it for this window's life.
  explicit Autosave(const QString& folder);
  ~Autosave();  // the lock is released; the file stays unless clear() ran (a crash leaves it)

  QString path() const { return path_; }
  // Writes the document's state atomically (nothing when it has no image: the file goes). False,
  // with the reason in `error`, when it cannot be written.
  bool write(const EditSnapshot& state, const SampleDraw& samples, QString* error = nullptr);
  // Removes the file (a clean close, or nothing left to keep).
  void clear();

  // Autosaves in `folder` whose window is gone, newest first. Those whose restore was already tried
  // (and never finished) are renamed *.json.failed (kept, never offered again) and listed in
  // `setAside`.
  static QStringList orphans(const QString& folder, QStringList* setAside = nullptr);
  // Throws glowlab::Error naming the file when it cannot be read or is not an autosave.
  static AutosaveData read(const QString& path);
  // Counts a restore as begun (written into the file before anything is loaded).
  static bool markAttempt(const QString& path);
  // Removes an orphan with its kept photo and lock.
  static void remove(const QString& path);

 private:
  QString path_;
  std::unique_ptr<QLockFile> lock_;
  qint64 pixelsKey_ = 0;  // the kept photo's QImage::cacheKey (written once per image)
};
