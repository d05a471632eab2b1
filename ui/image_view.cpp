#include "image_view.h"

#include <QMouseEvent>
#include <QPainter>

ImageView::ImageView(QWidget* parent) : QWidget(parent) {
  setMinimumSize(256, 160);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
  setAccessibleName(tr("Original and edited image"));
  caption_ = tr("Edited");
}

void ImageView::setOriginal(const QImage& image) {
  original_ = image;
  update();
}

void ImageView::setEdited(const QImage& image) {
  edited_ = image;
  update();
}

void ImageView::setEditedCaption(const QString& caption) {
  if (caption == caption_) return;
  caption_ = caption;
  update();
}

void ImageView::setMode(Mode mode) {
  mode_ = mode;
  setCursor(mode == Mode::Split ? Qt::SplitHCursor : Qt::ArrowCursor);
  update();
}

QRect ImageView::targetRect(const QRect& area) const {
  const int side = std::max(1, std::min(area.width(), area.height()) - 16);
  return QRect(area.center().x() - side / 2, area.center().y() - side / 2, side, side);
}

void ImageView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), palette().window());
  p.setRenderHint(QPainter::SmoothPixmapTransform, true);
  if (original_.isNull()) {
    p.setPen(palette().color(QPalette::PlaceholderText));
    p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap,
               tr("Open a photo (Ctrl+O), drop one here, paste one (Ctrl+V),\nor click a sample to start editing."));
    return;
  }
  const QImage& edited = edited_.isNull() ? original_ : edited_;
  if (mode_ == Mode::SideBySide) {
    const QRect left(0, 0, width() / 2, height()), right(width() / 2, 0, width() - width() / 2, height());
    p.drawImage(targetRect(left), original_);
    p.drawImage(targetRect(right), edited);
    p.setPen(palette().color(QPalette::Text));
    p.drawText(left.adjusted(0, 0, 0, -2), Qt::AlignHCenter | Qt::AlignBottom, tr("Original"));
    p.drawText(right.adjusted(0, 0, 0, -2), Qt::AlignHCenter | Qt::AlignBottom, caption_);
    return;
  }
  const QRect target = targetRect(rect());
  p.drawImage(target, edited);
  const int cut = target.left() + static_cast<int>(split_ * target.width());
  p.save();
  p.setClipRect(QRect(target.left(), target.top(), cut - target.left(), target.height()));
  p.drawImage(target, original_);
  p.restore();
  p.setPen(QPen(Qt::white, 2));
  p.drawLine(cut, target.top(), cut, target.bottom());
}

void ImageView::moveSplit(int x) {
  const QRect target = targetRect(rect());
  split_ = std::clamp((x - target.left()) / static_cast<double>(std::max(1, target.width())), 0.0, 1.0);
  update();
}

void ImageView::mousePressEvent(QMouseEvent* event) {
  if (mode_ == Mode::Split) moveSplit(static_cast<int>(event->position().x()));
}

void ImageView::mouseMoveEvent(QMouseEvent* event) {
  if (mode_ == Mode::Split && (event->buttons() & Qt::LeftButton)) moveSplit(static_cast<int>(event->position().x()));
}
