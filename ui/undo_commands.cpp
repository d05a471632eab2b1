#include "undo_commands.h"

#include <QCoreApplication>

#include <utility>

#include "attribute_panel.h"

SliderCommand::SliderCommand(AttributePanel* panel, int index, double before, double after, int dragId)
    : panel_(panel), index_(index), before_(before), after_(after), dragId_(dragId) {
  setText(QCoreApplication::translate("Undo", "Change %1").arg(QString::fromStdString(glowlab::display_name(panel->attribute(index).name))));
}

void SliderCommand::undo() { panel_->setValue(index_, before_); }
void SliderCommand::redo() {
  if (!std::exchange(applied_, false)) panel_->setValue(index_, after_);
}

bool SliderCommand::mergeWith(const QUndoCommand* other) {
  const auto* o = static_cast<const SliderCommand*>(other);
  if (o->index_ != index_ || o->dragId_ != dragId_) return false;
  after_ = o->after_;
  return true;
}

ResetAllCommand::ResetAllCommand(AttributePanel* panel, std::vector<double> before)
    : panel_(panel), before_(std::move(before)) {
  setText(QCoreApplication::translate("Undo", "Reset all"));
}

void ResetAllCommand::undo() {
  for (size_t i = 0; i < before_.size(); ++i) panel_->setValue(static_cast<int>(i), before_[i]);
}

void ResetAllCommand::redo() {
  for (size_t i = 0; i < before_.size(); ++i) panel_->setValue(static_cast<int>(i), 0.0);
}

DetailCommand::DetailCommand(AttributePanel* panel, int before, int after) : panel_(panel), before_(before), after_(after) {
  setText(QCoreApplication::translate("Undo", "Change detail"));
}

void DetailCommand::undo() { panel_->setFinestLevel(before_); }
void DetailCommand::redo() {
  if (!std::exchange(applied_, false)) panel_->setFinestLevel(after_);
}

ImageSwitchCommand::ImageSwitchCommand(Restore restore, quint64 before, int beforeSample, quint64 after, int afterSample,
                                       std::vector<double> values, const QString& what)
    : restore_(std::move(restore)), before_(before), after_(after), beforeSample_(beforeSample), afterSample_(afterSample),
      values_(std::move(values)) {
  setText(what);
}

void ImageSwitchCommand::undo() { restore_(before_, beforeSample_, values_); }
void ImageSwitchCommand::redo() {
  if (!std::exchange(applied_, false)) restore_(after_, afterSample_, values_);
}

ModelSwitchCommand::ModelSwitchCommand(Apply apply, ModelSummary before, PanelEdit beforeEdit, ModelSummary after,
                                       PanelEdit afterEdit, const QString& what)
    : apply_(std::move(apply)), before_(std::move(before)), after_(std::move(after)), beforeEdit_(std::move(beforeEdit)),
      afterEdit_(std::move(afterEdit)) {
  setText(what);
}

void ModelSwitchCommand::undo() { apply_(before_, beforeEdit_); }
void ModelSwitchCommand::redo() {
  if (!std::exchange(applied_, false)) apply_(after_, afterEdit_);
}
