// Undo commands: a slider drag is one step (consecutive moves of one drag merge), as are a
// reset of all sliders, a change of the detail level and a switch of the current image.
#pragma once

#include <QUndoCommand>

#include <functional>
#include <vector>

#include "attribute_panel.h"
#include "engine_worker.h"

class SliderCommand : public QUndoCommand {
 public:
  SliderCommand(AttributePanel* panel, int index, double before, double after, int dragId);
  void undo() override;
  void redo() override;
  int id() const override { return 1; }
  bool mergeWith(const QUndoCommand* other) override;

 private:
  AttributePanel* panel_;
  int index_;
  double before_, after_;
  int dragId_;
  bool applied_ = true;  // the panel already shows the new value when the command is pushed
};

class ResetAllCommand : public QUndoCommand {
 public:
  ResetAllCommand(AttributePanel* panel, std::vector<double> before);
  void undo() override;
  void redo() override;

 private:
  AttributePanel* panel_;
  std::vector<double> before_;
};

// Switching the current image (opening a photo, making a sample current): undo brings back the
// previous image, its crop and the slider values it had.
class ImageSwitchCommand : public QUndoCommand {
 public:
  using Restore = std::function<void(quint64 stateId, int sample, const std::vector<double>& values)>;
  ImageSwitchCommand(Restore restore, quint64 before, int beforeSample, quint64 after, int afterSample,
                     std::vector<double> values, const QString& what);
  void undo() override;
  void redo() override;

 private:
  Restore restore_;
  quint64 before_, after_;
  int beforeSample_, afterSample_;
  std::vector<double> values_;
  bool applied_ = true;  // the window already shows the new image when the command is pushed
};

class DetailCommand : public QUndoCommand {
 public:
  DetailCommand(AttributePanel* panel, int before, int after);
  void undo() override;
  void redo() override;

 private:
  AttributePanel* panel_;
  int before_, after_;
  bool applied_ = true;
};

// A switch of model or device: the image stays (re-encoded), the sliders go by name. Undo loads
// the previous model (or device) again with the sliders as they were.
class ModelSwitchCommand : public QUndoCommand {
 public:
  using Apply = std::function<void(const ModelSummary& model, const PanelEdit& edit)>;
  ModelSwitchCommand(Apply apply, ModelSummary before, PanelEdit beforeEdit, ModelSummary after, PanelEdit afterEdit,
                     const QString& what);
  void undo() override;
  void redo() override;

 private:
  Apply apply_;
  ModelSummary before_, after_;
  PanelEdit beforeEdit_, afterEdit_;
  bool applied_ = true;
};
