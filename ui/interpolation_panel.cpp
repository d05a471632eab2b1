#include "interpolation_panel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QSlider>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

namespace {
constexpr int kThumb = 64;

QPixmap thumbnail(const QImage& image) {
  return QPixmap::fromImage(image).scaled(kThumb, kThumb, Qt::KeepAspectRatio, Qt::SmoothTransformation);
}

// The strip of frames from A to B: drawn whole when there is room, else scaled down to the width
// the dock gives it, so that it never makes the window wider than the screen (issue 29, 3). Its
// pixmap stays the frames at full size.
class StripLabel : public QLabel {
 public:
  using QLabel::QLabel;
  QSize minimumSizeHint() const override { return {kThumb, kThumb + 8}; }
  QSize sizeHint() const override { return minimumSizeHint(); }

 protected:
  void paintEvent(QPaintEvent* event) override {
    const QPixmap frames = pixmap();
    if (frames.isNull()) {
      QLabel::paintEvent(event);
      return;
    }
    QSize shown = frames.size();
    if (shown.width() > width() || shown.height() > height()) shown = shown.scaled(size(), Qt::KeepAspectRatio);
    QPainter p(this);
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    p.drawPixmap(QRect(QPoint(0, (height() - shown.height()) / 2), shown), frames);
  }
};
}  // namespace

InterpolationPanel::InterpolationPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(buildEnds());
  layout->addLayout(buildBlendRow());
  strip_ = new StripLabel;
  strip_->setObjectName("strip");
  strip_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
  strip_->setMinimumHeight(72);
  strip_->setAlignment(Qt::AlignLeft | Qt::AlignVCenter);
  strip_->setAccessibleName(tr("Interpolation frames"));
  layout->addWidget(strip_);
  playTimer_ = new QTimer(this);
  playTimer_->setInterval(80);
  // Play runs A -> B -> A ... until Stop (the button says which it does).
  connect(playTimer_, &QTimer::timeout, this, [this] {
    int v = slider_->value() + 4 * playDirection_;
    if (v >= 100 || v <= 0) playDirection_ = -playDirection_;
    slider_->setValue(std::clamp(v, 0, 100));
  });
  connect(play_, &QPushButton::toggled, this, [this](bool on) {
    play_->setText(on ? tr("Stop") : tr("Play"));
    on ? playTimer_->start() : playTimer_->stop();
  });
  connect(slider_, &QSlider::valueChanged, this, &InterpolationPanel::updateCaption);
  connect(slider_, &QSlider::valueChanged, this, &InterpolationPanel::blendChanged);
  connect(mode_, &QComboBox::currentIndexChanged, this, &InterpolationPanel::modeChanged);
  updateCaption();
}

QLayout* InterpolationPanel::buildEnds() {
  // The two ends, each captioned above its thumbnail: A is the current image, B the one it blends
  // towards; the choices for B beside them.
  auto* row = new QHBoxLayout;
  firstThumb_ = new QLabel;
  firstThumb_->setObjectName("firstThumbnail");
  firstThumb_->setFixedSize(kThumb, kThumb);
  firstThumb_->setToolTip(tr("A: the current image, as edited"));
  firstThumb_->setAccessibleName(tr("Interpolation start (the current image)"));
  secondThumb_ = new QLabel;
  secondThumb_->setObjectName("secondThumbnail");
  secondThumb_->setFixedSize(kThumb, kThumb);
  secondThumb_->setAlignment(Qt::AlignCenter);
  secondThumb_->setText(tr("none"));
  secondThumb_->setToolTip(tr("B: the image to blend towards (with the same edits)"));
  secondThumb_->setAccessibleName(tr("Interpolation end"));
  auto end = [](const QString& caption, QLabel* thumb) {
    auto* column = new QVBoxLayout;
    auto* label = new QLabel(caption);
    label->setAlignment(Qt::AlignHCenter);
    column->addWidget(label);
    column->addWidget(thumb, 0, Qt::AlignHCenter);
    return column;
  };
  row->addLayout(end(tr("A (current)"), firstThumb_));
  auto* arrow = new QLabel(QStringLiteral("→"));
  arrow->setAlignment(Qt::AlignCenter);
  row->addWidget(arrow);
  row->addLayout(end(tr("B"), secondThumb_));
  auto* pickPhoto = new QPushButton(tr("Second &photo…"));
  auto* pickSample = new QPushButton(tr("Selected sample as &B"));
  connect(pickPhoto, &QPushButton::clicked, this, &InterpolationPanel::secondPhotoRequested);
  connect(pickSample, &QPushButton::clicked, this, &InterpolationPanel::selectedSampleRequested);
  auto* buttons = new QVBoxLayout;
  buttons->addWidget(pickPhoto);
  buttons->addWidget(pickSample);
  buttons->addStretch(1);
  row->addSpacing(12);
  row->addLayout(buttons);
  row->addStretch(1);
  return row;
}

QLayout* InterpolationPanel::buildBlendRow() {
  auto* row = new QHBoxLayout;
  slider_ = new QSlider(Qt::Horizontal);
  slider_->setObjectName("blend");
  slider_->setRange(0, 100);
  slider_->setEnabled(false);
  slider_->setAccessibleName(tr("Blend towards the second image"));
  value_ = new QLabel;
  value_->setObjectName("blendValue");
  value_->setMinimumWidth(value_->fontMetrics().horizontalAdvance(tr("100% B")) + 4);
  mode_ = new QComboBox;
  mode_->setObjectName("blendMode");
  mode_->addItems({tr("Spherical"), tr("Linear")});
  play_ = new QPushButton(tr("Play"));
  play_->setObjectName("play");
  play_->setCheckable(true);
  play_->setEnabled(false);
  play_->setMinimumWidth(play_->fontMetrics().horizontalAdvance(tr("Stop")) + 32);
  auto* label = new QLabel(tr("B&lend:"));
  label->setBuddy(slider_);
  row->addWidget(label);
  row->addWidget(slider_, 1);
  row->addWidget(value_);
  row->addWidget(mode_);
  row->addWidget(play_);
  return row;
}

int InterpolationPanel::blend() const { return slider_->value(); }

void InterpolationPanel::setBlend(int percent) { slider_->setValue(percent); }

bool InterpolationPanel::spherical() const { return mode_->currentIndex() == 0; }

void InterpolationPanel::setSecond(const QImage& image) {
  haveSecond_ = true;
  secondThumb_->setPixmap(thumbnail(image));
  slider_->setEnabled(true);
  play_->setEnabled(true);
  updateCaption();
}

void InterpolationPanel::setFirstThumbnail(const QImage& image) {
  if (image.isNull()) {
    firstThumb_->clear();
  } else {
    firstThumb_->setPixmap(thumbnail(image));
  }
}

void InterpolationPanel::setStrip(const QList<QImage>& frames) {
  if (frames.isEmpty()) return;
  QImage strip(kThumb * frames.size() + 4 * (frames.size() - 1), kThumb, QImage::Format_RGB888);
  strip.fill(palette().color(QPalette::Window));
  QPainter p(&strip);
  p.setRenderHint(QPainter::SmoothPixmapTransform);
  for (int i = 0; i < frames.size(); ++i) p.drawImage(QRect(i * (kThumb + 4), 0, kThumb, kThumb), frames[i]);
  p.end();
  strip_->setPixmap(QPixmap::fromImage(strip));
  // The ends of the strip are A and B as edited: the thumbnails show the same.
  firstThumb_->setPixmap(thumbnail(frames.first()));
  secondThumb_->setPixmap(thumbnail(frames.last()));
}

QPixmap InterpolationPanel::stripPixmap() const { return strip_->pixmap(); }

void InterpolationPanel::updateCaption() {
  value_->setText(haveSecond_ ? tr("%1% B").arg(slider_->value()) : QStringLiteral("—"));
}
