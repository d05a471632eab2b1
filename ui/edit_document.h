// EditDocument: the edit the user is looking at, in one place. The model it is made with, the
// image (photo and crop, or a sample), the sliders, holds and detail, the blend and the second
// image B. Undo commands change it (DocumentCommand: a snapshot before and after, no widget),
// renders, exports, recipes and the autosave read it, and the window only shows it: the pattern
// of Qt's model/view split with QUndoStack's commands. No widget here (tests drive it alone).
#pragma once

#include <QImage>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QUndoCommand>

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine_worker.h"

class QUndoStack;

// The sliders by attribute name (a switch to a model with other attributes keeps those it has).
struct PanelEdit {
  std::vector<std::pair<std::string, double>> values;
  std::vector<std::string> locked;
  int finestLevel = 0;
  bool operator==(const PanelEdit& o) const { return values == o.values && locked == o.locked && finestLevel == o.finestLevel; }
};

// The current image, as a recipe names it.
struct ImageRef {
  quint64 id = 0;  // the engine's record of it (EngineWorker::restoreImage); 0: no image
  ImageOrigin origin = ImageOrigin::File;
  QString source, sha256;             // the photo's file (origin File) and its checksum as read
  std::array<double, 6> transform{};  // photo pixel -> crop pixel
  int face = 0;                       // which face, by size (0: the largest)
  QImage pixels;                      // a photo without a file (pasted, dropped): its pixels
  int sample = -1;                    // a sample being edited: its index among the draw below
  int sampleCount = 0;
  double sampleTemperature = 0.7;
  quint64 sampleSeed = 0;
  bool isSample() const { return sample >= 0 || origin == ImageOrigin::Sample; }
};

// The image the engine reported, as the document records it (a sample's place in its draw is the
// caller's to add).
ImageRef imageRefOf(const ImageSummary& summary);

// The second image of the interpolation: a photo's file or a sample of the current draw.
struct SecondRef {
  QString source;
  int sample = -1;
  bool set() const { return !source.isEmpty() || sample >= 0; }
  bool operator==(const SecondRef& o) const { return source == o.source && sample == o.sample; }
};

struct EditSnapshot {
  // The model the edit is made with (empty path: none loaded). Shared, not copied, by the undo
  // history's snapshots: a summary holds every attribute and the model's card.
  const ModelSummary& model() const;
  void setModel(const ModelSummary& summary) { model_ = std::make_shared<const ModelSummary>(summary); }
  std::shared_ptr<const ModelSummary> model_;
  ImageRef image;
  PanelEdit sliders;   // every slider of the model, by name
  SecondRef second;
  int blend = 0;       // percent towards B
  bool spherical = true;
};

// What a recipe records of a state (the sample's draw, or the photo with its crop; model, sliders).
glowlab::Recipe recipeFor(const EditSnapshot& state);

// Two models are the same model when the same file (unchanged) runs on the same device.
bool sameModel(const ModelSummary& a, const ModelSummary& b);

class EditDocument : public QObject {
  Q_OBJECT

 public:
  explicit EditDocument(QObject* parent = nullptr);
  // Undo steps kept: a step holds two snapshots of every slider (about 4 KB with celeba64's 41), so
  // an unbounded history grew the window by 40 MB in the soak's 10,000 events.
  static constexpr int kUndoLimit = 1000;

  const EditSnapshot& state() const { return s_; }
  QUndoStack* undoStack() const { return undo_; }

  // The user's changes, one undo step each (the moves of one drag, equal dragId > 0, merge).
  // A value beyond the slider's range is held to it and said (hint, in range_note's words);
  // false for a name the model has no slider for.
  bool setValue(const std::string& name, double value, int dragId = 0);
  bool setHeld(const std::string& name, bool held);
  void setDetail(int finestLevel);
  void resetAll();  // nothing (no step) when every slider is at zero already

  // What the engine did, each one undo step unless it is the first of its kind. A new image starts
  // from its own unedited state (sliders at zero, no blend) unless keepSliders(); `what` names the
  // step ("Open astronaut.png").
  // `keepEdit`: the sliders and blend stay (another face of the same photo).
  void switchImage(const ImageRef& image, const QString& what, bool keepEdit = false);
  // The same image again (re-encoded by another model, or reframed): no undo step.
  void updateImage(const ImageRef& image);
  // Another model (or device): the sliders go by name. Returns the sliders it lacks that were
  // off zero, as "Name (value)"; the step is recorded unless it is the first model.
  QStringList switchModel(const ModelSummary& model, const QString& what);
  // The same model as loaded again (undo/redo, or its device setting): no undo step.
  void updateModel(const ModelSummary& model);

  // Not undo steps: the blend follows the interpolation panel, B what the engine set.
  void setBlend(int percent, bool spherical);
  void setSecond(const SecondRef& second);

  // A whole state without history (a recipe, a restored autosave): the undo stack is cleared.
  void reset(const EditSnapshot& state);
  // What a DocumentCommand does: the state as it was (no new step).
  void restore(const EditSnapshot& state);

  bool keepSliders() const { return keepSliders_; }
  void setKeepSliders(bool keep) { keepSliders_ = keep; }

  // What renders and exports read.
  EditState editState() const;
  // What a recipe records (the sample's draw, or the photo with its crop; model, sliders).
  glowlab::Recipe recipe() const;
  bool hasImage() const { return s_.image.id != 0; }
  bool hasEdits() const;
  double value(const std::string& name) const;
  bool isHeld(const std::string& name) const;
  // Edits made since the last export or save (undo's clean state).
  bool hasUnexportedEdits() const;
  void markExported();

 Q_SIGNALS:
  // Any change, with the state before it: the views follow.
  void changed(const EditSnapshot& before);
  void hint(const QString& message);

 private:
  // Records `after` as one undo step named `what` (merging a drag's moves by `mergeKey`).
  void push(EditSnapshot after, const QString& what, int mergeKey = 0);
  void set(EditSnapshot after);
  const glowlab::Attribute* attribute(const std::string& name) const;

  EditSnapshot s_;
  QUndoStack* undo_ = nullptr;
  bool keepSliders_ = false;
};

// One step of the document: the state before and after. A drag's moves (equal merge keys) are one.
class DocumentCommand : public QUndoCommand {
 public:
  DocumentCommand(EditDocument* document, EditSnapshot before, EditSnapshot after, const QString& what, int mergeKey);
  void undo() override;
  void redo() override;
  int id() const override { return mergeKey_ > 0 ? 1 : -1; }
  bool mergeWith(const QUndoCommand* other) override;

 private:
  EditDocument* document_;
  EditSnapshot before_, after_;
  int mergeKey_;
};

Q_DECLARE_METATYPE(EditSnapshot)
