#include "edit_document.h"

#include <QFileInfo>
#include <QUndoStack>

#include <algorithm>
#include <utility>

const ModelSummary& EditSnapshot::model() const {
  static const ModelSummary none;
  return model_ ? *model_ : none;
}

bool sameModel(const ModelSummary& a, const ModelSummary& b) {
  return a.path == b.path && a.requestedDevice == b.requestedDevice && a.stamp == b.stamp;
}

namespace {

// Every attribute of `model` with its value in `edit` (zero where it has none), its holds and detail.
PanelEdit byName(const PanelEdit& edit, const ModelSummary& model) {
  PanelEdit out;
  for (const auto& a : model.attributes) {
    auto it = std::find_if(edit.values.begin(), edit.values.end(), [&a](const auto& v) { return v.first == a.name; });
    out.values.emplace_back(a.name, it == edit.values.end() ? 0.0 : std::clamp(it->second, a.range_min, a.range_max));
    if (std::find(edit.locked.begin(), edit.locked.end(), a.name) != edit.locked.end()) out.locked.push_back(a.name);
  }
  out.finestLevel = std::clamp(edit.finestLevel, 0, std::max(0, model.levels - 1));
  return out;
}

}  // namespace

ImageRef imageRefOf(const ImageSummary& summary) {
  ImageRef ref;
  ref.id = summary.stateId;
  ref.origin = summary.origin;
  ref.source = summary.source;
  ref.sha256 = summary.sha256;
  ref.transform = summary.transform;
  ref.face = summary.faceIndex;
  if (summary.origin == ImageOrigin::Clipboard || summary.origin == ImageOrigin::Dropped) ref.pixels = summary.original;
  return ref;
}

EditDocument::EditDocument(QObject* parent) : QObject(parent), undo_(new QUndoStack(this)) {
  qRegisterMetaType<EditSnapshot>();
  undo_->setUndoLimit(kUndoLimit);
}

const glowlab::Attribute* EditDocument::attribute(const std::string& name) const {
  const auto& list = s_.model().attributes;
  auto it = std::find_if(list.begin(), list.end(), [&name](const glowlab::Attribute& a) { return a.name == name; });
  return it == list.end() ? nullptr : &*it;
}

void EditDocument::set(EditSnapshot after) {
  EditSnapshot before = std::exchange(s_, std::move(after));
  Q_EMIT changed(before);
}

void EditDocument::push(EditSnapshot after, const QString& what, int mergeKey) {
  undo_->push(new DocumentCommand(this, s_, std::move(after), what, mergeKey));
}

void EditDocument::restore(const EditSnapshot& state) { set(state); }

bool EditDocument::setValue(const std::string& name, double value, int dragId) {
  const glowlab::Attribute* a = attribute(name);
  if (!a) return false;
  if (value < a->range_min || value > a->range_max) {
    // From a command line or a recipe written by hand: held to the slider's range, and said, so
    // the slider always shows the value that is rendered.
    Q_EMIT hint(QString::fromStdString(glowlab::range_note(*a, value)));
    value = std::clamp(value, a->range_min, a->range_max);
  }
  EditSnapshot after = s_;
  for (auto& v : after.sliders.values) {
    if (v.first == name) v.second = value;
  }
  if (after.sliders == s_.sliders) return true;
  push(std::move(after), tr("Change %1").arg(QString::fromStdString(glowlab::display_name(name))), dragId);
  return true;
}

bool EditDocument::setHeld(const std::string& name, bool held) {
  if (!attribute(name)) return false;
  if (isHeld(name) == held) return true;
  EditSnapshot after = s_;
  auto& locked = after.sliders.locked;
  if (held) {
    locked.push_back(name);
  } else {
    locked.erase(std::remove(locked.begin(), locked.end(), name), locked.end());
  }
  after.sliders = byName(after.sliders, after.model());  // in the model's order
  const QString shown = QString::fromStdString(glowlab::display_name(name));
  push(std::move(after), held ? tr("Hold %1").arg(shown) : tr("Release %1").arg(shown));
  return true;
}

void EditDocument::setDetail(int finestLevel) {
  EditSnapshot after = s_;
  after.sliders.finestLevel = std::clamp(finestLevel, 0, std::max(0, s_.model().levels - 1));
  if (after.sliders.finestLevel == s_.sliders.finestLevel) return;
  push(std::move(after), tr("Change detail"));
}

void EditDocument::resetAll() {
  if (!hasEdits()) return;
  EditSnapshot after = s_;
  for (auto& v : after.sliders.values) v.second = 0.0;
  push(std::move(after), tr("Reset all"));
}

void EditDocument::switchImage(const ImageRef& image, const QString& what, bool keepEdit) {
  EditSnapshot after = s_;
  after.image = image;
  if (!keepSliders_ && !keepEdit) {
    // A new image starts unedited: the previous one and its sliders are one undo step back.
    for (auto& v : after.sliders.values) v.second = 0.0;
    after.blend = 0;
  }
  if (s_.image.id == 0) {
    set(std::move(after));  // the first image: nothing to go back to
  } else {
    push(std::move(after), what);
  }
}

void EditDocument::updateImage(const ImageRef& image) {
  EditSnapshot after = s_;
  after.image = image;
  set(std::move(after));
}

QStringList EditDocument::switchModel(const ModelSummary& model, const QString& what) {
  EditSnapshot after = s_;
  after.setModel(model);
  after.sliders = byName(s_.sliders, model);
  if (!model.keptImage) after.image = ImageRef{};
  // The sliders the new model lacks are said, never dropped in silence.
  QStringList dropped;
  for (const auto& entry : s_.sliders.values) {
    const std::string& name = entry.first;
    const double value = entry.second;
    if (value == 0.0) continue;
    if (std::any_of(model.attributes.begin(), model.attributes.end(), [&](const glowlab::Attribute& a) { return a.name == name; })) continue;
    const glowlab::Attribute* old = attribute(name);
    const QString shown = old ? QString::fromStdString(glowlab::slider_text(*old, value)) : QString::number(value);
    dropped << tr("%1 (%2)").arg(QString::fromStdString(glowlab::display_name(name)), shown);
  }
  if (s_.model().path.isEmpty()) {
    set(std::move(after));
  } else {
    push(std::move(after), what);
  }
  return dropped;
}

void EditDocument::updateModel(const ModelSummary& model) {
  EditSnapshot after = s_;
  after.setModel(model);
  after.sliders = byName(s_.sliders, model);
  set(std::move(after));
}

void EditDocument::setBlend(int percent, bool spherical) {
  if (percent == s_.blend && spherical == s_.spherical) return;
  EditSnapshot after = s_;
  after.blend = percent;
  after.spherical = spherical;
  set(std::move(after));
}

void EditDocument::setSecond(const SecondRef& second) {
  if (second == s_.second) return;
  EditSnapshot after = s_;
  after.second = second;
  set(std::move(after));
}

void EditDocument::reset(const EditSnapshot& state) {
  EditSnapshot after = state;
  after.sliders = byName(state.sliders, state.model());
  undo_->clear();
  set(std::move(after));
}

EditState EditDocument::editState() const {
  EditState e;
  for (const auto& v : s_.sliders.values) e.alphas.push_back(v);
  e.locked = s_.sliders.locked;
  e.finest_level = s_.sliders.finestLevel;
  e.interpolating = s_.second.set() && s_.blend > 0;
  e.t = s_.blend / 100.0;
  e.spherical = s_.spherical;
  return e;
}

glowlab::Recipe EditDocument::recipe() const { return recipeFor(s_); }

glowlab::Recipe recipeFor(const EditSnapshot& state) {
  glowlab::Recipe r;
  const ImageRef& im = state.image;
  if (im.sample >= 0) {
    r.sample_index = im.sample;
    r.sample_count = im.sampleCount;
    r.sample_temperature = im.sampleTemperature;
    r.sample_seed = im.sampleSeed;
  } else {
    r.source = im.source.isEmpty() ? std::string() : QFileInfo(im.source).absoluteFilePath().toStdString();
    r.source_sha256 = im.sha256.toStdString();
    r.transform = im.transform;
    r.face = im.face + 1;
  }
  r.model = state.model().path.isEmpty() ? std::string() : QFileInfo(state.model().path).absoluteFilePath().toStdString();
  r.model_sha256 = state.model().sha256.toStdString();
  r.sliders = state.sliders.values;
  std::sort(r.sliders.begin(), r.sliders.end());
  r.finest_level = state.sliders.finestLevel;
  r.locked = state.sliders.locked;
  return r;
}

bool EditDocument::hasEdits() const {
  return std::any_of(s_.sliders.values.begin(), s_.sliders.values.end(), [](const auto& v) { return v.second != 0.0; });
}

double EditDocument::value(const std::string& name) const {
  for (const auto& v : s_.sliders.values) {
    if (v.first == name) return v.second;
  }
  return 0.0;
}

bool EditDocument::isHeld(const std::string& name) const {
  const auto& l = s_.sliders.locked;
  return std::find(l.begin(), l.end(), name) != l.end();
}

bool EditDocument::hasUnexportedEdits() const { return hasImage() && hasEdits() && !undo_->isClean(); }

void EditDocument::markExported() { undo_->setClean(); }

DocumentCommand::DocumentCommand(EditDocument* document, EditSnapshot before, EditSnapshot after, const QString& what, int mergeKey)
    : document_(document), before_(std::move(before)), after_(std::move(after)), mergeKey_(mergeKey) {
  setText(what);
}

void DocumentCommand::undo() { document_->restore(before_); }
void DocumentCommand::redo() { document_->restore(after_); }

bool DocumentCommand::mergeWith(const QUndoCommand* other) {
  const auto* o = static_cast<const DocumentCommand*>(other);
  if (o->mergeKey_ != mergeKey_ || o->text() != text()) return false;
  after_ = o->after_;
  return true;
}
