#include "autosave.h"

#include <QBuffer>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLockFile>
#include <QStandardPaths>
#include <QUuid>

#include <algorithm>

namespace {

constexpr const char* kFormat = "glowlab-autosave";
constexpr int kVersion = 1;

QString lockPath(const QString& json) { return json.left(json.size() - 5) + QStringLiteral(".lock"); }
QString photoPath(const QString& json) { return json.left(json.size() - 5) + QStringLiteral("-photo.png"); }

QString originWord(ImageOrigin origin) {
  switch (origin) {
    case ImageOrigin::Clipboard: return QStringLiteral("clipboard");
    case ImageOrigin::Dropped: return QStringLiteral("dropped");
    case ImageOrigin::Sample: return QStringLiteral("sample");
    case ImageOrigin::File: break;
  }
  return QStringLiteral("file");
}

ImageOrigin originFrom(const QString& word) {
  if (word == "clipboard") return ImageOrigin::Clipboard;
  if (word == "dropped") return ImageOrigin::Dropped;
  if (word == "sample") return ImageOrigin::Sample;
  return ImageOrigin::File;
}

[[noreturn]] void bad(const QString& path, const QString& what) {
  throw glowlab::Error(glowlab::ErrorKind::Format, (path + QStringLiteral(": ") + what).toStdString());
}

// Written as every file of the project is (glowlab::write_file_atomic); false with the reason.
bool writeAtomically(const QString& path, const QByteArray& bytes, QString* error) {
  try {
    glowlab::write_file_atomic(path.toStdString(), std::string_view(bytes.constData(), static_cast<size_t>(bytes.size())));
  } catch (const std::exception& e) {
    if (error) *error = QString::fromUtf8(e.what());
    return false;
  }
  return true;
}

}  // namespace

QString AutosaveData::describe() const {
  QString image;
  if (recipe.is_sample()) image = QStringLiteral("Sample %1").arg(recipe.sample_index + 1);
  else if (extras.origin == ImageOrigin::Clipboard) image = QStringLiteral("An image pasted from the clipboard");
  else if (extras.origin == ImageOrigin::Dropped) image = QStringLiteral("A dropped image");
  else if (extras.origin == ImageOrigin::Sample) image = QStringLiteral("A sample");
  else image = QFileInfo(QString::fromStdString(recipe.source)).fileName();
  QStringList edits;
  for (const auto& [name, value] : recipe.sliders) {
    if (value == 0.0) continue;
    edits << QStringLiteral("%1 %2%3").arg(QString::fromStdString(glowlab::display_name(name)), value > 0 ? QStringLiteral("+") : QString(),
                                           QString::number(value, 'f', 2));
  }
  if (extras.blend > 0 && extras.second.set()) edits << QStringLiteral("blended %1% towards B").arg(extras.blend);
  return edits.isEmpty() ? image + QStringLiteral(" (no slider moved)") : image + QStringLiteral(": ") + edits.join(QStringLiteral(", "));
}

QString Autosave::folder() {
  const QByteArray env = qgetenv("GLOWLAB_AUTOSAVE_DIR");
  if (!env.isEmpty()) return QString::fromLocal8Bit(env);
  return QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + QStringLiteral("/autosave");
}

Autosave::Autosave(const QString& folder) {
  QDir().mkpath(folder);
  path_ = QDir(folder).filePath(QUuid::createUuid().toString(QUuid::WithoutBraces) + QStringLiteral(".json"));
  lock_ = std::make_unique<QLockFile>(lockPath(path_));
  lock_->setStaleLockTime(0);  // held for the window's life; only a dead process makes it stale
  lock_->tryLock(0);
}

Autosave::~Autosave() = default;  // QLockFile's destructor unlocks (and removes the lock file)

bool Autosave::write(const EditSnapshot& state, const SampleDraw& samples, QString* error) {
  if (state.image.id == 0 || state.model().path.isEmpty()) {
    clear();
    return true;
  }
  glowlab::Recipe recipe = recipeFor(state);
  const ImageRef& image = state.image;
  if (image.sample < 0 && image.origin != ImageOrigin::File) {
    if (image.origin == ImageOrigin::Sample || image.pixels.isNull()) {
      clear();  // a sample whose draw is gone (another model's): nothing a restore could rebuild
      return true;
    }
    // A photo without a file: its pixels are kept beside the autosave (once per image).
    const QString png = photoPath(path_);
    if (image.pixels.cacheKey() != pixelsKey_ || !QFileInfo::exists(png)) {
      QByteArray bytes;
      QBuffer buffer(&bytes);
      buffer.open(QIODevice::WriteOnly);
      if (!image.pixels.save(&buffer, "PNG") || !writeAtomically(png, bytes, error)) return false;
      pixelsKey_ = image.pixels.cacheKey();
    }
    recipe.source = png.toStdString();
    recipe.source_sha256.clear();
  }
  QJsonObject o;
  o["format"] = kFormat;
  o["version"] = kVersion;
  o["recipe"] = QJsonDocument::fromJson(QByteArray::fromStdString(glowlab::recipe_to_json(recipe))).object();
  o["device"] = state.model().requestedDevice.isEmpty() ? QStringLiteral("auto") : state.model().requestedDevice;
  o["origin"] = originWord(image.origin);
  if (state.second.set()) {
    QJsonObject second;
    if (!state.second.source.isEmpty()) second["source"] = state.second.source;
    if (state.second.sample >= 0) second["sample"] = state.second.sample;
    o["second"] = second;
  }
  o["blend"] = state.blend;
  o["spherical"] = state.spherical;
  if (samples.count > 0) {
    o["samples"] = QJsonObject{{"count", samples.count}, {"temperature", samples.temperature},
                               {"seed", QString::number(samples.seed)}};
  }
  o["restoreAttempts"] = 0;
  o["written"] = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
  return writeAtomically(path_, QJsonDocument(o).toJson(), error);
}

void Autosave::clear() {
  QFile::remove(path_);
  QFile::remove(photoPath(path_));
  pixelsKey_ = 0;
}

QStringList Autosave::orphans(const QString& folder, QStringList* setAside) {
  QDir dir(folder);
  QStringList found;
  // The locks of windows that died before they had anything to keep.
  for (const QFileInfo& info : dir.entryInfoList({QStringLiteral("*.lock")}, QDir::Files)) {
    const QString json = info.absoluteFilePath().chopped(5) + QStringLiteral(".json");
    if (QFileInfo::exists(json)) continue;
    QLockFile lock(info.absoluteFilePath());
    lock.setStaleLockTime(0);
    if (lock.tryLock(0)) lock.unlock();  // removes it
  }
  const auto entries = dir.entryInfoList({QStringLiteral("*.json")}, QDir::Files, QDir::Time);  // newest first
  for (const QFileInfo& info : entries) {
    const QString path = info.absoluteFilePath();
    QLockFile lock(lockPath(path));
    lock.setStaleLockTime(0);
    if (!lock.tryLock(0)) continue;  // its window is alive
    lock.unlock();
    int attempts = 0;
    try {
      attempts = read(path).restoreAttempts;
    } catch (const glowlab::Error&) {
      attempts = 1;  // unreadable: set aside as well, never offered
    }
    if (attempts > 0) {
      // A restore of it began and never finished: it is kept, renamed, and not offered again.
      const QString aside = path + QStringLiteral(".failed");
      QFile::remove(aside);
      QFile::rename(path, aside);
      if (setAside) *setAside << aside;
      continue;
    }
    found << path;
  }
  return found;
}

AutosaveData Autosave::read(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) bad(path, QStringLiteral("cannot read the autosave (%1)").arg(file.errorString()));
  QJsonParseError perr;
  const QJsonDocument doc = QJsonDocument::fromJson(file.read(1 << 20), &perr);
  if (doc.isNull() || !doc.isObject()) bad(path, QStringLiteral("not an autosave (%1)").arg(perr.errorString()));
  const QJsonObject o = doc.object();
  if (o["format"].toString() != kFormat) bad(path, QStringLiteral("not a GlowLab autosave (no \"format\": \"%1\")").arg(kFormat));
  if (o["version"].toInt() > kVersion) bad(path, QStringLiteral("written by a newer GlowLab (version %1)").arg(o["version"].toInt()));
  AutosaveData d;
  const QByteArray recipe = QJsonDocument(o["recipe"].toObject()).toJson();
  d.recipe = glowlab::parse_recipe(recipe.toStdString(), path.toStdString());
  d.device = o["device"].toString(QStringLiteral("auto"));
  d.extras.origin = originFrom(o["origin"].toString());
  const QJsonObject second = o["second"].toObject();
  d.extras.second.source = second["source"].toString();
  d.extras.second.sample = second["sample"].toInt(-1);
  d.extras.blend = std::clamp(o["blend"].toInt(), 0, 100);
  d.extras.spherical = o["spherical"].toBool(true);
  const QJsonObject samples = o["samples"].toObject();
  d.extras.samplesCount = std::clamp(samples["count"].toInt(), 0, 64);
  d.extras.samplesTemperature = samples["temperature"].toDouble(0.7);
  d.extras.samplesSeed = samples["seed"].toString().toULongLong();
  d.restoreAttempts = o["restoreAttempts"].toInt();
  return d;
}

bool Autosave::markAttempt(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) return false;
  QJsonObject o = QJsonDocument::fromJson(file.readAll()).object();
  file.close();
  o["restoreAttempts"] = o["restoreAttempts"].toInt() + 1;
  return writeAtomically(path, QJsonDocument(o).toJson(), nullptr);
}

void Autosave::remove(const QString& path) {
  QFile::remove(path);
  QFile::remove(photoPath(path));
  QFile::remove(lockPath(path));
}
