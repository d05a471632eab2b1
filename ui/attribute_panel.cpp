#include "attribute_panel.h"

#include <QAbstractScrollArea>
#include <QComboBox>
#include <QCoreApplication>
#include <QDoubleSpinBox>
#include <QEvent>
#include <QGridLayout>
#include <QKeyEvent>
#include <QKeySequence>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSlider>
#include <QStyle>
#include <QStyleOptionSlider>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>

namespace {

// In a scrolled list a control takes the wheel only once it has the focus; otherwise the wheel
// goes on to the list, which scrolls (a slider passing under the pointer is never changed).
class WheelGuard : public QObject {
 public:
  using QObject::QObject;
  bool eventFilter(QObject* object, QEvent* event) override {
    if (event->type() == QEvent::Wheel) {
      auto* w = qobject_cast<QWidget*>(object);
      if (w && !w->hasFocus()) {
        // The list scrolls instead: the wheel goes to the scroll area the control sits in.
        for (QWidget* p = w->parentWidget(); p; p = p->parentWidget()) {
          if (auto* area = qobject_cast<QAbstractScrollArea*>(p)) {
            QCoreApplication::sendEvent(area->viewport(), event);
            break;
          }
        }
        return true;
      }
    }
    return false;
  }
};

// The number box beside a slider: the slider's range, and a value typed outside it is set to the
// nearest end and said (instead of being refused in silence).
class RangeSpinBox : public QDoubleSpinBox {
 public:
  std::function<void(double typed)> outOfRange;

  QValidator::State validate(QString& text, int& pos) const override {
    const QValidator::State state = QDoubleSpinBox::validate(text, pos);
    if (state != QValidator::Invalid) return state;
    bool ok = false;
    parse(text, &ok);
    return ok ? QValidator::Intermediate : state;  // a number, out of range: fixed up on Enter
  }

  // Ctrl+Z (and the Redo keys) reach the window's undo stack from here too (issue 29, 6): typing
  // a value is the natural way to set a slider, and its undo is the edit's. Only while a value is
  // being typed, not yet entered, do the keys undo the typing, as in any text field.
  bool event(QEvent* event) override {
    if (event->type() == QEvent::ShortcutOverride) {
      auto* key = static_cast<QKeyEvent*>(event);
      const bool undoKey = key->matches(QKeySequence::Undo) || key->matches(QKeySequence::Redo) ||
                           key->keyCombination() == QKeyCombination(Qt::ControlModifier, Qt::Key_Y);
      if (undoKey && cleanText() == textFromValue(value())) {
        event->ignore();  // not ours: the shortcut goes to the window's Undo/Redo
        return true;
      }
    }
    return QDoubleSpinBox::event(event);
  }

  void fixup(QString& text) const override {
    bool ok = false;
    const double v = parse(text, &ok);
    if (ok && (v < minimum() || v > maximum())) {
      text = prefix() + textFromValue(std::clamp(v, minimum(), maximum())) + suffix();
      if (outOfRange) outOfRange(v);
      return;
    }
    QDoubleSpinBox::fixup(text);
  }

 private:
  double parse(QString text, bool* ok) const {
    text = text.trimmed();
    if (!suffix().trimmed().isEmpty() && text.endsWith(suffix().trimmed())) text.chop(suffix().trimmed().size());
    if (!prefix().trimmed().isEmpty() && text.startsWith(prefix().trimmed())) text.remove(0, prefix().trimmed().size());
    text = text.trimmed();
    double v = locale().toDouble(text, ok);
    if (!*ok) v = text.toDouble(ok);
    return v;
  }
};

QString signedValue(double v) { return QString::asprintf("%+.2f", v).replace('-', QChar(0x2212)); }

// A slider that can mark a point on its track: where the guard limited the edit on screen, so that
// what is drawn is never a surprise (the handle says what was asked, the mark what was rendered).
class MarkedSlider : public QSlider {
 public:
  using QSlider::QSlider;
  void setMark(std::optional<int> ticks) {
    if (mark_ == ticks) return;
    mark_ = ticks;
    update();
  }

 protected:
  void paintEvent(QPaintEvent* event) override {
    QSlider::paintEvent(event);
    if (!mark_) return;
    QStyleOptionSlider opt;
    initStyleOption(&opt);
    const QRect groove = style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderGroove, this);
    const QRect handle = style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderHandle, this);
    const int x = groove.x() + handle.width() / 2 +
                  QStyle::sliderPositionFromValue(minimum(), maximum(), *mark_, groove.width() - handle.width(), opt.upsideDown);
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    // A notch across the track and a small triangle under it, in the palette's link colour (it
    // stands out from the handle in light and dark themes alike).
    const QColor colour = palette().color(QPalette::Link);
    p.setPen(QPen(colour, 2));
    const int top = std::max(0, groove.center().y() - handle.height() / 2), bottom = std::min(height() - 1, groove.center().y() + handle.height() / 2);
    p.drawLine(x, top, x, bottom);
    p.setPen(Qt::NoPen);
    p.setBrush(colour);
    const int y = bottom;
    p.drawPolygon(QPolygon({QPoint(x, y - 4), QPoint(x - 4, y + 1), QPoint(x + 4, y + 1)}));
  }

 private:
  std::optional<int> mark_;
};

}  // namespace

AttributePanel::AttributePanel(QWidget* parent) : QWidget(parent) {
  auto* outer = new QVBoxLayout(this);
  auto* top = new QHBoxLayout;
  auto* detailLabel = new QLabel(tr("&Detail:"));
  detail_ = new QComboBox;
  detail_->setObjectName("detail");
  detail_->setToolTip(tr("Which latent levels an edit touches: coarse levels change shape and colour,\n"
                         "fine levels texture; leaving fine levels alone keeps identity details."));
  detailLabel->setBuddy(detail_);
  auto* reset = new QPushButton(tr("Reset &all"));
  reset->setObjectName("resetAll");
  reset_ = reset;
  top->addWidget(detailLabel);
  top->addWidget(detail_, 1);
  top->addWidget(reset);
  outer->addLayout(top);
  scroll_ = new QScrollArea;
  scroll_->setObjectName("attributeList");
  scroll_->setWidgetResizable(true);
  scroll_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  scroll_->setWidget(new QWidget);
  outer->addWidget(scroll_, 1);
  // Under the list: the attributes that are not featured, behind one toggle.
  more_ = new QToolButton;
  more_->setObjectName("moreAttributes");
  more_->setCheckable(true);
  more_->setAutoRaise(true);
  more_->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  more_->setChecked(QSettings().value("attributes/showMore", false).toBool());
  more_->setArrowType(more_->isChecked() ? Qt::DownArrow : Qt::RightArrow);
  more_->setToolTip(tr("Sliders that did not reach the attribute judge's target (they move the attribute less reliably)"));
  more_->hide();
  outer->addWidget(more_, 0, Qt::AlignLeft);
  connect(more_, &QToolButton::toggled, this, [this](bool on) {
    QSettings().setValue("attributes/showMore", on);
    more_->setArrowType(on ? Qt::DownArrow : Qt::RightArrow);
    // Hiding them again leaves out only the rows without a value or a hold.
    for (auto& r : rows_) r.revealed = !r.attribute.featured && (r.value != 0.0 || r.lock->isChecked());
    updateRows();
  });
  connect(reset, &QPushButton::clicked, this, &AttributePanel::resetAllRequested);
  connect(detail_, &QComboBox::currentIndexChanged, this, [this](int) {
    if (quiet_) return;
    const int after = finestLevel();
    Q_EMIT detailEdited(detailBefore_, after);
    detailBefore_ = after;
  });
}

int AttributePanel::toTicks(const Row& row, double v) const {
  const double span = v >= 0 ? row.attribute.range_max : -row.attribute.range_min;
  return static_cast<int>(std::lround(v / std::max(span, 1e-9) * kSteps));
}

double AttributePanel::fromTicks(const Row& row, int ticks) const {
  const double span = ticks >= 0 ? row.attribute.range_max : -row.attribute.range_min;
  const double v = ticks * span / kSteps;
  return row.attribute.unit == "years" ? std::round(v) : v;  // Age moves in whole years
}

void AttributePanel::fillDetailLevels() {
  quiet_ = true;
  detail_->clear();
  for (int first = 0; first < levels_; ++first) {
    if (first == 0) detail_->addItem(tr("All levels"), first);
    else if (first == levels_ - 1) detail_->addItem(tr("Coarse only (keeps most detail)"), first);
    else detail_->addItem(tr("Coarse to level %1").arg(first + 1), first);
  }
  detail_->setCurrentIndex(0);
  detailBefore_ = 0;
  quiet_ = false;
}

AttributePanel::Row AttributePanel::makeRow(const glowlab::Attribute& attribute, QGridLayout* grid, int index, QObject* guard) {
  Row row;
  row.attribute = attribute;
  const QString name = QString::fromStdString(glowlab::display_name(attribute.name));
  const QString unit = QString::fromStdString(attribute.unit);
  // Named by attribute, so that tests find a row's widgets (findChild) without getters.
  const QString id = QString::fromStdString(attribute.name);
  row.label = new QLabel(name);
  row.label->setObjectName(QStringLiteral("label-") + id);
  row.slider = new MarkedSlider(Qt::Horizontal);
  row.slider->setObjectName(QStringLiteral("slider-") + id);
  row.slider->setRange(-kSteps, kSteps);
  row.slider->setPageStep(10);
  row.slider->setMinimumWidth(64);  // the panel fits beside the others on a 1024-px screen
  row.slider->setAccessibleName(name);
  row.slider->setFocusPolicy(Qt::StrongFocus);
  row.slider->installEventFilter(guard);
  row.label->setBuddy(row.slider);
  auto* box = new RangeSpinBox;
  row.box = box;
  row.box->setObjectName(QStringLiteral("value-") + id);
  // One range for the slider and the box.
  row.box->setRange(attribute.range_min, attribute.range_max);
  const bool years = attribute.unit == "years";
  row.box->setSingleStep(years ? 1.0 : 0.05);
  row.box->setDecimals(years ? 0 : 2);
  row.box->setKeyboardTracking(false);
  if (!unit.isEmpty()) row.box->setSuffix(QStringLiteral(" ") + unit);
  row.box->setAccessibleName(name + tr(" value"));
  row.box->setToolTip(tr("%1: from %2 to %3").arg(name, signedValue(attribute.range_min), signedValue(attribute.range_max)) +
                      (unit.isEmpty() ? QString() : QStringLiteral(" ") + unit));
  row.box->setFocusPolicy(Qt::StrongFocus);
  row.box->installEventFilter(guard);
  // The same words as the command lines' --set (glowlab::range_note).
  box->outOfRange = [this, attribute](double typed) { Q_EMIT hint(QString::fromStdString(glowlab::range_note(attribute, typed))); };
  auto* zero = new QToolButton;
  zero->setIcon(style()->standardIcon(QStyle::SP_DialogResetButton));
  zero->setAutoRaise(true);
  zero->setToolTip(tr("Reset %1").arg(name));
  zero->setAccessibleName(tr("Reset %1").arg(name));
  row.lock = new QToolButton;
  row.lock->setObjectName(QStringLiteral("hold-") + id);
  row.lock->setCheckable(true);
  row.lock->setAutoRaise(true);
  row.lock->setText(tr("Hold"));
  row.lock->setToolTip(tr("Hold %1 fixed: the other sliders then move along directions that leave it unchanged").arg(name));
  row.lock->setAccessibleName(tr("Hold %1 fixed").arg(name));
  grid->addWidget(row.label, index, 0);
  grid->addWidget(row.slider, index, 1);
  grid->addWidget(row.box, index, 2);
  grid->addWidget(zero, index, 3);
  grid->addWidget(row.lock, index, 4);
  row.widgets = {row.label, row.slider, row.box, zero, row.lock};
  connectRow(row, zero, index);
  return row;
}

void AttributePanel::connectRow(const Row& row, QToolButton* zero, int index) {
  connect(row.lock, &QToolButton::toggled, this, [this, index](bool on) {
    auto& r = rows_[static_cast<size_t>(index)];
    // A held attribute keeps its own value: its slider rests until it is released.
    r.slider->setEnabled(!on);
    r.box->setEnabled(!on);
    if (on && !r.attribute.featured && !r.revealed) {
      r.revealed = true;
      updateRows();
    }
    if (!quiet_) Q_EMIT heldEdited(index, on);
  });
  connect(row.slider, &QSlider::sliderPressed, this, [this] {
    dragging_ = true;
    ++dragId_;
  });
  connect(row.slider, &QSlider::sliderReleased, this, [this] {
    dragging_ = false;
    Q_EMIT dragFinished();
  });
  connect(row.slider, &QSlider::valueChanged, this, [this, index](int ticks) {
    if (quiet_) return;
    userSet(index, fromTicks(rows_[static_cast<size_t>(index)], ticks));
  });
  connect(row.box, &QDoubleSpinBox::valueChanged, this, [this, index](double v) {
    if (!quiet_) userSet(index, v);
  });
  connect(zero, &QToolButton::clicked, this, [this, index] { userSet(index, 0.0); });
}

void AttributePanel::setAttributes(const std::vector<glowlab::Attribute>& attributes, int levels) {
  rows_.clear();
  levels_ = std::max(1, levels);
  fillDetailLevels();
  // The rows are a grid, so the columns line up; the list is never narrower than its rows (no
  // column is cut, and moving the focus never scrolls it sideways).
  auto* inner = new QWidget;
  auto* grid = new QGridLayout(inner);
  grid->setContentsMargins(4, 4, 4, 4);
  grid->setVerticalSpacing(2);
  grid->setHorizontalSpacing(6);
  grid->setColumnStretch(1, 1);
  auto* guard = new WheelGuard(inner);
  for (size_t i = 0; i < attributes.size(); ++i) rows_.push_back(makeRow(attributes[i], grid, static_cast<int>(i), guard));
  if (attributes.empty()) {
    // No sliders to show: say why, and how to add them, where they would be.
    noDirections_ = new QLabel(tr("This model has no attribute directions, so there are no sliders yet; sampling and "
                                  "interpolation work. To add them, run<br><code>glowlab-cli attributes -m MODEL DATA</code><br>"
                                  "(MODEL: this .glow; DATA: a CelebA folder, or --positives/--negatives folders), then open "
                                  "the model again."));
    noDirections_->setObjectName("noDirections");
    noDirections_->setTextFormat(Qt::RichText);
    noDirections_->setWordWrap(true);
    noDirections_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    grid->addWidget(noDirections_, 0, 0, 1, 5);
  }
  grid->setRowStretch(static_cast<int>(std::max<size_t>(attributes.size(), 1)), 1);
  scroll_->setWidget(inner);  // deletes the previous rows
  // Tab goes down the panel as it reads: Detail, Reset all, each row (slider, number, reset,
  // hold), then More attributes; the rows are made after the rest of the window, so their place
  // in the chain is set here.
  QWidget::setTabOrder(detail_, reset_);
  QWidget* previous = reset_;
  for (const auto& r : rows_) {
    for (QWidget* w : r.widgets) {
      if (w->focusPolicy() == Qt::NoFocus) continue;
      QWidget::setTabOrder(previous, w);
      previous = w;
    }
  }
  QWidget::setTabOrder(previous, more_);
  updateRows();
  const int bar = scroll_->style()->pixelMetric(QStyle::PM_ScrollBarExtent, nullptr, scroll_);
  scroll_->setMinimumWidth(inner->minimumSizeHint().width() + bar + 2 * scroll_->frameWidth() + 2);
  // At least five rows stay in view however small the window gets.
  const int rowHeight = rows_.empty() ? 0 : std::max(rows_.front().box->sizeHint().height(), rows_.front().lock->sizeHint().height());
  scroll_->setMinimumHeight(std::min<int>(5, static_cast<int>(rows_.size())) * (rowHeight + 2) + 8 + 2 * scroll_->frameWidth());
}

void AttributePanel::updateRows() {
  int hidden = 0;
  for (auto& r : rows_) {
    hidden += r.attribute.featured ? 0 : 1;
    const bool shown = r.attribute.featured || more_->isChecked() || r.revealed;
    for (QWidget* w : r.widgets) w->setVisible(shown);
  }
  more_->setText(tr("More attributes (%1)").arg(hidden));
  more_->setAccessibleName(more_->text());
  more_->setVisible(hidden > 0);
}

bool AttributePanel::isRowShown(int index) const {
  const auto& r = rows_[static_cast<size_t>(index)];
  return r.attribute.featured || more_->isChecked() || r.revealed;
}

void AttributePanel::userSet(int index, double v) {
  const double before = rows_[static_cast<size_t>(index)].value;
  if (before == v) return;
  if (!dragging_) ++dragId_;
  setValue(index, v);
  Q_EMIT edited(index, before, v, dragId_);
}

double AttributePanel::value(int index) const { return rows_[static_cast<size_t>(index)].value; }

void AttributePanel::setValue(int index, double v) {
  auto& row = rows_[static_cast<size_t>(index)];
  v = std::clamp(v, row.attribute.range_min, row.attribute.range_max);  // the document holds it to the range already
  row.value = v;
  if (v != 0.0 && !row.attribute.featured && !row.revealed) {
    row.revealed = true;  // a value set from elsewhere (recipe, --set, undo) is never out of sight
    updateRows();
  }
  quiet_ = true;
  row.slider->setValue(toTicks(row, v));
  row.box->setValue(v);
  quiet_ = false;
}

void AttributePanel::showLimits(const glowlab::Alphas& limitedTo) {
  for (auto& row : rows_) {
    auto it = std::find_if(limitedTo.begin(), limitedTo.end(), [&](const auto& a) { return a.first == row.attribute.name; });
    auto* slider = static_cast<MarkedSlider*>(row.slider);
    if (it == limitedTo.end()) {
      slider->setMark(std::nullopt);
      slider->setProperty("limitedTo", QVariant());
      slider->setToolTip(QString());
      continue;
    }
    slider->setMark(toTicks(row, it->second));
    slider->setProperty("limitedTo", it->second);
    slider->setToolTip(tr("Shown at %1: a stronger edit leaves the colours the model can draw for this image")
                           .arg(QString::fromStdString(glowlab::slider_text(row.attribute, it->second))));
  }
}

std::vector<double> AttributePanel::values() const {
  std::vector<double> out;
  for (const auto& r : rows_) out.push_back(r.value);
  return out;
}

bool AttributePanel::hasEdits() const {
  return std::any_of(rows_.begin(), rows_.end(), [](const Row& r) { return r.value != 0.0; });
}

std::vector<std::pair<std::string, double>> AttributePanel::alphas() const {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& r : rows_) out.emplace_back(r.attribute.name, r.value);
  return out;
}

PanelEdit AttributePanel::edit() const { return {alphas(), locked(), finestLevel()}; }

void AttributePanel::apply(const PanelEdit& edit) {
  for (int i = 0; i < count(); ++i) {
    const auto& name = rows_[static_cast<size_t>(i)].attribute.name;
    auto it = std::find_if(edit.values.begin(), edit.values.end(), [&](const auto& v) { return v.first == name; });
    const double v = it == edit.values.end() ? 0.0 : it->second;
    if (value(i) != v) setValue(i, v);
    setLocked(i, std::find(edit.locked.begin(), edit.locked.end(), name) != edit.locked.end());
  }
  if (finestLevel() != std::clamp(edit.finestLevel, 0, levels_ - 1)) setFinestLevel(edit.finestLevel);
}

std::vector<std::string> AttributePanel::locked() const {
  std::vector<std::string> out;
  for (const auto& r : rows_) {
    if (r.lock->isChecked()) out.push_back(r.attribute.name);
  }
  return out;
}

bool AttributePanel::isLocked(int index) const { return rows_[static_cast<size_t>(index)].lock->isChecked(); }

void AttributePanel::setLocked(int index, bool on) {
  quiet_ = true;
  rows_[static_cast<size_t>(index)].lock->setChecked(on);
  quiet_ = false;
}

int AttributePanel::finestLevel() const { return detail_->currentIndex() < 0 ? 0 : detail_->currentData().toInt(); }

void AttributePanel::setFinestLevel(int level) {
  quiet_ = true;
  detail_->setCurrentIndex(std::clamp(level, 0, levels_ - 1));
  detailBefore_ = finestLevel();
  quiet_ = false;
}

int AttributePanel::indexOf(const std::string& name) const {
  for (size_t i = 0; i < rows_.size(); ++i) {
    if (rows_[i].attribute.name == name) return static_cast<int>(i);
  }
  return -1;
}
