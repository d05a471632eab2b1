#include "attribute_panel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSlider>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>

AttributePanel::AttributePanel(QWidget* parent) : QWidget(parent) {
  auto* outer = new QVBoxLayout(this);
  auto* top = new QHBoxLayout;
  auto* detailLabel = new QLabel(tr("&Detail:"));
  detail_ = new QComboBox;
  detail_->setToolTip(tr("Which latent levels an edit touches: coarse levels change shape and colour,\n"
                         "fine levels texture; leaving fine levels alone keeps identity details."));
  detailLabel->setBuddy(detail_);
  auto* reset = new QPushButton(tr("Reset &all"));
  top->addWidget(detailLabel);
  top->addWidget(detail_, 1);
  top->addWidget(reset);
  outer->addLayout(top);
  auto* scroll = new QScrollArea;
  scroll->setWidgetResizable(true);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  setMinimumWidth(420);
  auto* inner = new QWidget;
  list_ = new QVBoxLayout(inner);
  list_->addStretch(1);
  scroll->setWidget(inner);
  outer->addWidget(scroll, 1);
  connect(reset, &QPushButton::clicked, this, &AttributePanel::resetAllRequested);
  connect(detail_, &QComboBox::currentIndexChanged, this, [this](int) {
    if (quiet_) return;
    const int after = finestLevel();
    Q_EMIT detailEdited(detailBefore_, after);
    detailBefore_ = after;
    Q_EMIT changed();
  });
}

int AttributePanel::toTicks(const Row& row, double v) const {
  const double span = v >= 0 ? row.attribute.range_max : -row.attribute.range_min;
  return static_cast<int>(std::lround(v / std::max(span, 1e-9) * kSteps));
}

double AttributePanel::fromTicks(const Row& row, int ticks) const {
  const double span = ticks >= 0 ? row.attribute.range_max : -row.attribute.range_min;
  return ticks * span / kSteps;
}

void AttributePanel::setAttributes(const std::vector<glowlab::Attribute>& attributes, int levels) {
  for (auto& r : rows_) {
    delete r.slider->parentWidget();
  }
  rows_.clear();
  levels_ = std::max(1, levels);
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
  for (size_t i = 0; i < attributes.size(); ++i) {
    const int index = static_cast<int>(i);
    Row row;
    row.attribute = attributes[i];
    auto* w = new QWidget;
    auto* h = new QHBoxLayout(w);
    h->setContentsMargins(0, 0, 0, 0);
    auto* label = new QLabel(QString::fromStdString(glowlab::display_name(row.attribute.name)));
    label->setMinimumWidth(label->fontMetrics().horizontalAdvance(QStringLiteral("Mouth slightly open")) + 8);
    row.slider = new QSlider(Qt::Horizontal);
    row.slider->setRange(-kSteps, kSteps);
    row.slider->setPageStep(10);
    row.slider->setAccessibleName(label->text());
    label->setBuddy(row.slider);
    row.box = new QDoubleSpinBox;
    row.box->setRange(row.attribute.range_min * 2, row.attribute.range_max * 2);
    row.box->setSingleStep(0.05);
    row.box->setDecimals(2);
    row.box->setKeyboardTracking(false);
    row.box->setAccessibleName(label->text() + tr(" value"));
    row.slider->setMinimumWidth(120);
    auto* zero = new QToolButton;
    zero->setIcon(style()->standardIcon(QStyle::SP_DialogResetButton));
    zero->setAutoRaise(true);
    zero->setToolTip(tr("Reset %1").arg(label->text()));
    row.lock = new QToolButton;
    row.lock->setCheckable(true);
    row.lock->setAutoRaise(true);
    row.lock->setText(tr("Hold"));
    row.lock->setToolTip(tr("Hold %1 fixed: the other sliders then move along directions that leave it unchanged").arg(label->text()));
    row.lock->setAccessibleName(tr("Hold %1 fixed").arg(label->text()));
    h->addWidget(label);
    h->addWidget(row.slider, 1);
    h->addWidget(row.box);
    h->addWidget(zero);
    h->addWidget(row.lock);
    connect(row.lock, &QToolButton::toggled, this, [this, index](bool on) {
      auto& r = rows_[static_cast<size_t>(index)];
      // A held attribute keeps its own value: its slider rests until it is released.
      r.slider->setEnabled(!on);
      r.box->setEnabled(!on);
      if (!quiet_) Q_EMIT changed();
    });
    list_->insertWidget(list_->count() - 1, w);
    connect(row.slider, &QSlider::sliderPressed, this, [this] {
      dragging_ = true;
      ++dragId_;
    });
    connect(row.slider, &QSlider::sliderReleased, this, [this] { dragging_ = false; });
    connect(row.slider, &QSlider::valueChanged, this, [this, index](int ticks) {
      if (quiet_) return;
      userSet(index, fromTicks(rows_[static_cast<size_t>(index)], ticks));
    });
    connect(row.box, &QDoubleSpinBox::valueChanged, this, [this, index](double v) {
      if (!quiet_) userSet(index, v);
    });
    connect(zero, &QToolButton::clicked, this, [this, index] { userSet(index, 0.0); });
    rows_.push_back(row);
  }
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
  row.value = v;
  quiet_ = true;
  row.slider->setValue(toTicks(row, v));
  row.box->setValue(v);
  quiet_ = false;
  Q_EMIT changed();
}

std::vector<double> AttributePanel::values() const {
  std::vector<double> out;
  for (const auto& r : rows_) out.push_back(r.value);
  return out;
}

std::vector<std::pair<std::string, double>> AttributePanel::alphas() const {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& r : rows_) out.emplace_back(r.attribute.name, r.value);
  return out;
}

std::vector<std::string> AttributePanel::locked() const {
  std::vector<std::string> out;
  for (const auto& r : rows_) {
    if (r.lock->isChecked()) out.push_back(r.attribute.name);
  }
  return out;
}

bool AttributePanel::isLocked(int index) const { return rows_[static_cast<size_t>(index)].lock->isChecked(); }

void AttributePanel::setLocked(int index, bool on) { rows_[static_cast<size_t>(index)].lock->setChecked(on); }

int AttributePanel::finestLevel() const { return detail_->currentIndex() < 0 ? 0 : detail_->currentData().toInt(); }

void AttributePanel::setFinestLevel(int level) {
  quiet_ = true;
  detail_->setCurrentIndex(std::clamp(level, 0, levels_ - 1));
  detailBefore_ = finestLevel();
  quiet_ = false;
  Q_EMIT changed();
}

int AttributePanel::indexOf(const std::string& name) const {
  for (size_t i = 0; i < rows_.size(); ++i) {
    if (rows_[i].attribute.name == name) return static_cast<int>(i);
  }
  return -1;
}
