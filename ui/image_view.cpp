#include "image_view.h"

#include <QMouseEvent>
#include <algorithm>
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

ImageView::Layout ImageView::layout() const {
  Layout l;
  if (mode_ == Mode::Split) {
    l.original = l.edited = targetRect(rect());
    return l;
  }
  constexpr int kMargin = 16, kGap = 4;
  const int caption = fontMetrics().height() + kGap;
  // The larger of the two arrangements: across (two columns) or down (two rows).
  const int across = std::min(width() / 2, height() - caption) - kMargin;
  const int down = std::min(width(), height() / 2 - caption) - kMargin;
  l.stacked = down > across;
  const int side = std::max(1, std::max(across, down));
  const QRect first = l.stacked ? QRect(0, 0, width(), height() / 2) : QRect(0, 0, width() / 2, height());
  const QRect second = l.stacked ? QRect(0, height() / 2, width(), height() - height() / 2)
                                 : QRect(width() / 2, 0, width() - width() / 2, height());
  // In each cell, the image and its caption as one block, centred.
  auto place = [&](const QRect& cell, QRect& image, QRect& text) {
    const int top = cell.top() + (cell.height() - side - caption) / 2;
    image = QRect(cell.center().x() - side / 2, top, side, side);
    text = QRect(cell.left(), image.bottom() + kGap, cell.width(), caption);
  };
  place(first, l.original, l.originalCaption);
  place(second, l.edited, l.editedCaption);
  return l;
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
  const Layout l = layout();
  if (mode_ == Mode::SideBySide) {
    p.drawImage(l.original, original_);
    p.drawImage(l.edited, edited);
    p.setPen(palette().color(QPalette::Text));
    p.drawText(l.originalCaption, Qt::AlignHCenter | Qt::AlignTop, tr("Original"));
    p.drawText(l.editedCaption, Qt::AlignHCenter | Qt::AlignTop, fontMetrics().elidedText(caption_, Qt::ElideRight, l.editedCaption.width()));
    return;
  }
  const QRect target = l.edited;
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
  const QRect target = layout().edited;
  split_ = std::clamp((x - target.left()) / static_cast<double>(std::max(1, target.width())), 0.0, 1.0);
  update();
}

void ImageView::mousePressEvent(QMouseEvent* event) {
  if (mode_ == Mode::Split) moveSplit(static_cast<int>(event->position().x()));
}

void ImageView::mouseMoveEvent(QMouseEvent* event) {
  if (mode_ == Mode::Split && (event->buttons() & Qt::LeftButton)) moveSplit(static_cast<int>(event->position().x()));
}
