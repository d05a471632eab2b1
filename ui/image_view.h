// ImageView: the original and the edited face, side by side or as a before/after split whose
// divider the user drags.
#pragma once

#include <QImage>
#include <QWidget>

class ImageView : public QWidget {
  Q_OBJECT

 public:
  enum class Mode { SideBySide, Split };
  explicit ImageView(QWidget* parent = nullptr);

  void setOriginal(const QImage& image);
  void setEdited(const QImage& image);
  void setMode(Mode mode);
  // What the right-hand image is called ("Edited", or a blend towards the second image).
  void setEditedCaption(const QString& caption);
  QString editedCaption() const { return caption_; }
  Mode mode() const { return mode_; }
  const QImage& edited() const { return edited_; }
  const QImage& original() const { return original_; }
  double split() const { return split_; }

  QSize sizeHint() const override { return {640, 360}; }

  // Where the images and their captions are drawn. Side by side: the two images across the view or
  // one above the other, whichever lets them be larger, each caption just under its image. Split:
  // one square (both image rects), no captions.
  struct Layout {
    QRect original, edited;
    QRect originalCaption, editedCaption;  // empty in the split view
    bool stacked = false;                  // side by side, one above the other
  };
  Layout layout() const;

 protected:
  void paintEvent(QPaintEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;

 private:
  QRect targetRect(const QRect& area) const;
  void moveSplit(int x);

  QImage original_, edited_;
  Mode mode_ = Mode::SideBySide;
  double split_ = 0.5;
  QString caption_;
};
