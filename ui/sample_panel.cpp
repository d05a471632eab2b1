#include "sample_panel.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSlider>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>

SamplePanel::SamplePanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(buildSettings());
  auto* sampleButton = new QPushButton(tr("&Sample"));
  sampleButton->setObjectName("sampleButton");
  layout->addWidget(sampleButton);
  stale_ = new QLabel;
  stale_->setObjectName("samplesStale");
  stale_->setWordWrap(true);
  stale_->hide();
  layout->addWidget(stale_);
  list_ = new QListWidget;
  list_->setObjectName("sampleList");
  // The chosen sample is framed in the highlight colour; the style's focus rectangle, drawn round a
  // tile's empty caption (a tiny box under it), is left out: the frame marks the current tile.
  list_->setStyleSheet(QStringLiteral("QListWidget { outline: 0; }"
                                      " QListWidget::item:selected { background: transparent; border: 3px solid palette(highlight); }"));
  list_->setViewMode(QListView::IconMode);
  list_->setIconSize(QSize(72, 72));
  list_->setResizeMode(QListView::Adjust);
  list_->setMovement(QListView::Static);
  list_->setAccessibleName(tr("Samples"));
  layout->addWidget(list_, 1);
  // A click selects; double-click or Enter (or the button, or the context menu) makes the sample
  // the current image, which is one undo step: the photo a person was working on is never lost.
  auto* actions = new QVBoxLayout;  // one above the other: neither label is cut
  use_ = new QPushButton(tr("Edit t&his sample"));
  towards_ = new QPushButton(tr("Interpolate towards &it"));
  use_->setEnabled(false);
  towards_->setEnabled(false);
  actions->addWidget(use_);
  actions->addWidget(towards_);
  layout->addLayout(actions);
  list_->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(sampleButton, &QPushButton::clicked, this, &SamplePanel::sampleRequested);
  connect(list_, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) { Q_EMIT editRequested(list_->row(item)); });
  connect(list_, &QListWidget::currentRowChanged, this, [this](int row) {
    use_->setEnabled(row >= 0);
    towards_->setEnabled(row >= 0 && haveImage_);
  });
  connect(use_, &QPushButton::clicked, this, [this] {
    if (selected() >= 0) Q_EMIT editRequested(selected());
  });
  connect(towards_, &QPushButton::clicked, this, [this] {
    if (selected() >= 0) Q_EMIT towardsRequested(selected());
  });
  connect(list_, &QListWidget::customContextMenuRequested, this, &SamplePanel::showMenu);
}

QWidget* SamplePanel::buildSettings() {
  auto* box = new QWidget;
  auto* form = new QFormLayout(box);
  form->setContentsMargins(0, 0, 0, 0);
  temperature_ = new QDoubleSpinBox;
  temperature_->setObjectName("temperature");
  temperature_->setRange(0.0, 1.2);
  temperature_->setSingleStep(0.05);
  temperature_->setValue(0.7);
  auto* tSlider = new QSlider(Qt::Horizontal);
  tSlider->setRange(0, 120);
  tSlider->setValue(70);
  connect(tSlider, &QSlider::valueChanged, temperature_, [this](int v) { temperature_->setValue(v / 100.0); });
  connect(temperature_, &QDoubleSpinBox::valueChanged, tSlider, [tSlider](double v) {
    const QSignalBlocker b(tSlider);
    tSlider->setValue(static_cast<int>(std::lround(v * 100)));
  });
  auto* tRow = new QHBoxLayout;
  tRow->addWidget(tSlider, 1);
  tRow->addWidget(temperature_);
  auto* tLabel = new QLabel(tr("&Temperature:"));
  tLabel->setBuddy(tSlider);
  form->addRow(tLabel, tRow);
  seed_ = new QSpinBox;
  seed_->setObjectName("seed");
  seed_->setRange(0, 999999999);
  // "New" beside the seed (the panel stays narrow enough for a 1024-px screen with the others).
  auto* newSeed = new QToolButton;
  newSeed->setText(tr("&New"));
  newSeed->setObjectName("newSeed");
  newSeed->setToolTip(tr("A new random seed"));
  newSeed->setAccessibleName(tr("New seed"));
  auto* seedRow = new QHBoxLayout;
  seedRow->addWidget(seed_, 1);
  seedRow->addWidget(newSeed);
  auto* seedLabel = new QLabel(tr("S&eed:"));
  seedLabel->setBuddy(seed_);
  form->addRow(seedLabel, seedRow);
  count_ = new QSpinBox;
  count_->setObjectName("sampleCount");
  count_->setRange(1, 64);
  count_->setValue(12);
  form->addRow(tr("Co&unt:"), count_);
  connect(newSeed, &QToolButton::clicked, this, [this] { seed_->setValue(static_cast<int>(QRandomGenerator::global()->bounded(1000000000))); });
  connect(temperature_, &QDoubleSpinBox::valueChanged, this, &SamplePanel::updateStale);
  connect(seed_, &QSpinBox::valueChanged, this, &SamplePanel::updateStale);
  connect(count_, &QSpinBox::valueChanged, this, &SamplePanel::updateStale);
  return box;
}

void SamplePanel::showMenu(const QPoint& pos) {
  auto* item = list_->itemAt(pos);
  if (!item) item = list_->currentItem();
  if (!item) return;
  const int row = list_->row(item);
  QMenu menu(this);
  menu.addAction(tr("Edit this sample"), this, [this, row] { Q_EMIT editRequested(row); });
  menu.addAction(tr("Interpolate towards this"), this, [this, row] { Q_EMIT towardsRequested(row); })->setEnabled(haveImage_);
  menu.exec(list_->viewport()->mapToGlobal(pos));
}

SampleSettings SamplePanel::settings() const {
  return {temperature_->value(), static_cast<quint64>(seed_->value()), count_->value()};
}

void SamplePanel::setSettings(const SampleSettings& settings) {
  temperature_->setValue(settings.temperature);
  seed_->setValue(static_cast<int>(settings.seed));
  count_->setValue(settings.count);
}

void SamplePanel::setDrawn(const SampleSettings& settings) {
  drawn_ = settings;
  updateStale();
}

bool SamplePanel::isStale() const {
  const SampleSettings now = settings();
  return !samples_.isEmpty() &&
         (std::abs(now.temperature - drawn_.temperature) > 1e-9 || now.seed != drawn_.seed || now.count != drawn_.count);
}

void SamplePanel::updateStale() {
  // The grid is never passed off as the new settings' samples: it says what it was drawn with.
  if (isStale()) {
    stale_->setText(tr("These samples are for T %1, seed %2: press Sample for the new settings.")
                        .arg(drawn_.temperature, 0, 'f', 2)
                        .arg(drawn_.seed));
    stale_->show();
  } else {
    stale_->hide();
  }
}

void SamplePanel::setSamples(const QList<QImage>& images) {
  samples_ = images;
  list_->clear();
  for (int i = 0; i < images.size(); ++i) {
    // The selected sample stays visible as it is (a frame marks it, no tint over the face).
    QIcon icon;
    const QPixmap pixmap = QPixmap::fromImage(images[i]);
    icon.addPixmap(pixmap, QIcon::Normal);
    icon.addPixmap(pixmap, QIcon::Selected);
    auto* item = new QListWidgetItem(icon, QString());
    item->setToolTip(tr("Sample %1: double-click (or Enter) to edit it; right-click to interpolate towards it").arg(i + 1));
    list_->addItem(item);
  }
  updateStale();
}

void SamplePanel::clearSamples() {
  samples_.clear();
  list_->clear();
  updateStale();
}

int SamplePanel::selected() const { return list_->currentRow(); }

void SamplePanel::setHaveImage(bool have) {
  haveImage_ = have;
  towards_->setEnabled(have && selected() >= 0);
}
