// Undo commands: a slider drag is one step (consecutive moves of one drag merge), as are a
// reset of all sliders and a change of the detail level.
#pragma once

#include <QUndoCommand>

#include <vector>

class AttributePanel;

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
