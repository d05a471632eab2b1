#include "recipe.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

namespace {
constexpr auto kFormat = "glowlab.recipe/1";
}

QString fileSha256(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  QCryptographicHash h(QCryptographicHash::Sha256);
  h.addData(&f);
  return QString::fromLatin1(h.result().toHex());
}

QString saveRecipe(const QString& path, const Recipe& r) {
  QJsonObject o;
  o["format"] = kFormat;
  QJsonObject src;
  if (r.sampleIndex >= 0) {
    src["sample"] = QJsonObject{{"index", r.sampleIndex}, {"count", r.sampleCount}, {"temperature", r.sampleTemperature},
                                {"seed", QString::number(r.sampleSeed)}};
  } else {
    src["path"] = r.source;
    src["sha256"] = r.sourceSha256;
    QJsonArray t;
    for (double v : r.transform) t.append(v);
    src["crop_transform"] = t;
  }
  o["source"] = src;
  o["model"] = QJsonObject{{"path", r.model}, {"sha256", r.modelSha256}};
  QJsonObject sliders;
  for (auto it = r.sliders.begin(); it != r.sliders.end(); ++it) sliders[it.key()] = it.value();
  o["sliders"] = sliders;
  o["detail_finest_level"] = r.finestLevel;
  if (!r.locked.isEmpty()) o["locked"] = QJsonArray::fromStringList(r.locked);
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly)) return QObject::tr("Cannot write %1: %2").arg(path, f.errorString());
  f.write(QJsonDocument(o).toJson());
  if (!f.commit()) return QObject::tr("Cannot write %1: %2").arg(path, f.errorString());
  return {};
}

bool loadRecipe(const QString& path, Recipe& r, QString& error) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) {
    error = QObject::tr("Cannot read %1: %2").arg(path, f.errorString());
    return false;
  }
  QJsonParseError perr;
  const auto doc = QJsonDocument::fromJson(f.read(1 << 20), &perr);
  if (!doc.isObject()) {
    error = QObject::tr("%1 is not a recipe: %2").arg(path, perr.errorString());
    return false;
  }
  const auto o = doc.object();
  if (o["format"].toString() != kFormat) {
    error = QObject::tr("%1: unknown recipe format '%2'").arg(path, o["format"].toString());
    return false;
  }
  const auto src = o["source"].toObject();
  if (src.contains("sample")) {
    const auto s = src["sample"].toObject();
    r.sampleIndex = s["index"].toInt(-1);
    r.sampleCount = s["count"].toInt();
    r.sampleTemperature = s["temperature"].toDouble(0.7);
    r.sampleSeed = s["seed"].toString().toULongLong();
    if (r.sampleIndex < 0 || r.sampleIndex >= r.sampleCount) {
      error = QObject::tr("%1: the sample index is out of range").arg(path);
      return false;
    }
  } else {
    r.source = src["path"].toString();
    r.sourceSha256 = src["sha256"].toString();
    const auto t = src["crop_transform"].toArray();
    if (r.source.isEmpty() || t.size() != 6) {
      error = QObject::tr("%1: the source needs a path and a 6-number crop transform").arg(path);
      return false;
    }
    for (int i = 0; i < 6; ++i) r.transform[static_cast<size_t>(i)] = t[i].toDouble();
  }
  const auto m = o["model"].toObject();
  r.model = m["path"].toString();
  r.modelSha256 = m["sha256"].toString();
  const auto sliders = o["sliders"].toObject();
  for (auto it = sliders.begin(); it != sliders.end(); ++it) r.sliders[it.key()] = it.value().toDouble();
  r.finestLevel = o["detail_finest_level"].toInt();
  r.locked.clear();
  for (const auto& v : o["locked"].toArray()) {
    if (!v.isString()) {
      error = QObject::tr("%1: \"locked\" must list attribute names").arg(path);
      return false;
    }
    r.locked << v.toString();
  }
  return true;
}
