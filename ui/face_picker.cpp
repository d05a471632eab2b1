#include "face_picker.h"

#include <QComboBox>
#include <QMouseEvent>
#include <QPainter>
#include <QVBoxLayout>

FacePicker::FacePicker(QWidget* parent) : QWidget(parent) {
  setMinimumSize(200, 180);
  setAccessibleName(tr("Faces in the photo"));
  chooser_ = new QComboBox(this);
  chooser_->setObjectName("faceChooser");
  chooser_->setAccessibleName(tr("Face to edit"));
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(chooser_);
  layout->addStretch(1);
  connect(chooser_, &QComboBox::activated, this, [this](int index) {
    if (index != current_) Q_EMIT faceChosen(index);
  });
}

void FacePicker::setNoPhoto(const QString& why) {
  setFaces({}, {}, 0);
  placeholder_ = why;
  chooser_->addItem(why);
  setEnabled(false);
  update();
}

void FacePicker::setFaces(const QImage& photo, const QList<QRect>& boxes, int current) {
  placeholder_.clear();
  setEnabled(true);
  photo_ = photo;
  boxes_ = boxes;
  current_ = current;
  const QSignalBlocker block(chooser_);
  chooser_->clear();
  for (int i = 0; i < boxes.size(); ++i) chooser_->addItem(i == 0 ? tr("Face %1 (largest)").arg(i + 1) : tr("Face %1").arg(i + 1));
  chooser_->setCurrentIndex(current);
  update();
}

QRect FacePicker::photoRect() const {
  if (photo_.isNull()) return {};
  const QRect area = rect().adjusted(4, chooser_->geometry().bottom() + 6, -4, -4);
  const QSize fitted = photo_.size().scaled(area.size(), Qt::KeepAspectRatio);
  return QRect(area.center() - QPoint(fitted.width() / 2, fitted.height() / 2), fitted);
}

QRect FacePicker::boxOnScreen(int index) const {
  const QRect target = photoRect();
  if (index < 0 || index >= boxes_.size() || target.isEmpty()) return {};
  const double s = static_cast<double>(target.width()) / photo_.width();
  const QRect& b = boxes_[index];
  return QRect(target.x() + qRound(b.x() * s), target.y() + qRound(b.y() * s), qRound(b.width() * s), qRound(b.height() * s));
}

void FacePicker::paintEvent(QPaintEvent*) {
  QPainter p(this);
  const QRect target = photoRect();
  if (target.isEmpty()) {
    if (!placeholder_.isEmpty()) {
      p.setPen(palette().color(QPalette::Disabled, QPalette::WindowText));
      p.drawText(rect().adjusted(8, chooser_->geometry().bottom() + 6, -8, -8), Qt::AlignCenter | Qt::TextWordWrap, placeholder_);
    }
    return;
  }
  p.setRenderHint(QPainter::SmoothPixmapTransform);
  p.drawImage(target, photo_);
  p.setRenderHint(QPainter::Antialiasing);
  QFont f = font();
  f.setBold(true);
  p.setFont(f);
  for (int i = 0; i < boxes_.size(); ++i) {
    const QRect b = boxOnScreen(i);
    const QColor colour = i == current_ ? QColor(255, 200, 0) : QColor(255, 255, 255);
    p.setPen(QPen(colour, i == current_ ? 3 : 2));
    p.drawRect(b);
    const QString label = QString::number(i + 1);
    const QRect tag(b.topLeft() - QPoint(0, p.fontMetrics().height() + 2), QSize(p.fontMetrics().horizontalAdvance(label) + 8, p.fontMetrics().height() + 2));
    p.fillRect(tag, colour);
    p.setPen(Qt::black);
    p.drawText(tag, Qt::AlignCenter, label);
  }
}

void FacePicker::mousePressEvent(QMouseEvent* event) {
  // The smallest box under the pointer wins (a face inside another's box stays reachable).
  int hit = -1;
  for (int i = 0; i < boxes_.size(); ++i) {
    const QRect b = boxOnScreen(i);
    if (b.contains(event->position().toPoint()) && (hit < 0 || b.width() * b.height() < boxOnScreen(hit).width() * boxOnScreen(hit).height())) hit = i;
  }
  if (hit >= 0 && hit != current_) Q_EMIT faceChosen(hit);
}
