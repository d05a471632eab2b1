// AttributePanel: one slider (with a number box and a reset button) per attribute direction,
// "Reset all", and the detail control that picks which latent levels an edit touches.
#pragma once

#include <QLabel>
#include <QPointer>
#include <QWidget>

#include <string>
#include <utility>
#include <vector>

#include "edit_document.h"
#include "glowlab.h"

class QComboBox;
class QDoubleSpinBox;
class QGridLayout;
class QLabel;
class QScrollArea;
class QSlider;
class QToolButton;

class AttributePanel : public QWidget {
  Q_OBJECT

 public:
  explicit AttributePanel(QWidget* parent = nullptr);

  void setAttributes(const std::vector<glowlab::Attribute>& attributes, int levels);
  int count() const { return static_cast<int>(rows_.size()); }
  double value(int index) const;
  // Shows a value (the document's; no signal, no undo step), held to the slider's range.
  void setValue(int index, double value);
  std::vector<double> values() const;
  // Marks on the tracks of the sliders the guard limited, at the value rendered (the render's
  // limited_to; empty clears them). A marked slider's "limitedTo" property holds that value.
  void showLimits(const glowlab::Alphas& limitedTo);
  std::vector<std::pair<std::string, double>> alphas() const;
  // Attributes held fixed (their row's lock is on): the other sliders move along directions that
  // leave them unchanged.
  std::vector<std::string> locked() const;
  bool isLocked(int index) const;
  void setLocked(int index, bool locked);
  int finestLevel() const;
  void setFinestLevel(int level);
  const glowlab::Attribute& attribute(int index) const { return rows_[static_cast<size_t>(index)].attribute; }
  int indexOf(const std::string& name) const;
  // Row i's widgets are named by its attribute: "label-NAME", "slider-NAME", "value-NAME",
  // "hold-NAME"; the list is "attributeList". For a model without directions a note
  // ("noDirections") says how to add them. "More attributes (N)" ("moreAttributes") shows the rows
  // of the attributes that are not featured (those that missed the judge's target); its state
  // persists (QSettings "attributes/showMore"). A hidden row keeps its value, and a row that gets
  // a value or a hold (a recipe, --set, undo) is shown anyway.
  // Whether row `index` is on show (its attribute featured, More attributes on, or revealed).
  bool isRowShown(int index) const;
  // A slider is held down by the mouse (its edit has not settled yet).
  bool isDragging() const { return dragging_; }
  // True when any slider is off zero.
  bool hasEdits() const;
  // Everything by name; apply() shows what this model has (no signal), the rest at zero. The panel
  // is a view of EditDocument's sliders: the user's changes go out as signals, the document's
  // state comes back through apply().
  PanelEdit edit() const;
  void apply(const PanelEdit& edit);

 Q_SIGNALS:
  // A user edit: index, old value, new value, and a drag id (equal ids merge into one undo step).
  void edited(int index, double before, double after, int dragId);
  void resetAllRequested();
  void detailEdited(int before, int after);
  // A slider was let go: its edit has settled.
  void dragFinished();
  // The user turned row `index`'s hold on or off.
  void heldEdited(int index, bool held);
  // A hint for the status bar (e.g. a typed value outside the slider's range).
  void hint(const QString& message);

 private:
  struct Row {
    glowlab::Attribute attribute;
    QLabel* label = nullptr;
    QSlider* slider = nullptr;
    QDoubleSpinBox* box = nullptr;
    QToolButton* lock = nullptr;
    double value = 0;
    bool revealed = false;  // not featured, but shown: it has a value or a hold
    std::vector<QWidget*> widgets;  // the row's cells, shown or hidden together
  };
  void updateRows();
  void fillDetailLevels();
  // Row `index` of the grid for `attribute`, its controls connected.
  Row makeRow(const glowlab::Attribute& attribute, QGridLayout* grid, int index, QObject* guard);
  void connectRow(const Row& row, QToolButton* zero, int index);
  static constexpr int kSteps = 100;  // slider ticks per side
  int toTicks(const Row& row, double value) const;
  double fromTicks(const Row& row, int ticks) const;
  void userSet(int index, double value);

  std::vector<Row> rows_;
  QScrollArea* scroll_ = nullptr;
  QComboBox* detail_ = nullptr;
  QWidget* reset_ = nullptr;
  QToolButton* more_ = nullptr;
  QPointer<QLabel> noDirections_;
  int levels_ = 1;
  int detailBefore_ = 0;
  int dragId_ = 0;
  bool dragging_ = false;
  bool quiet_ = false;
};
