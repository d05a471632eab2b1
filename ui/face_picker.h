// FacePicker: the opened photo with a numbered box on every face found, for photos with several
// faces. Clicking a box, or choosing its number in the list, picks the face to edit.
#pragma once

#include <QImage>
#include <QList>
#include <QRect>
#include <QWidget>

class QComboBox;

class FacePicker : public QWidget {
  Q_OBJECT

 public:
  explicit FacePicker(QWidget* parent = nullptr);

  // The photo, its faces (largest first) and the one being edited.
  void setFaces(const QImage& photo, const QList<QRect>& boxes, int current);
  // No photo to choose faces in (a sample is the current image): the panel stays, greyed, and
  // says so (setFaces brings the photo back).
  void setNoPhoto(const QString& why);
  QString placeholder() const { return placeholder_; }
  int count() const { return boxes_.size(); }
  int current() const { return current_; }
  // Where face `index`'s box is drawn, in this widget's coordinates (empty if none).
  QRect boxOnScreen(int index) const;

 Q_SIGNALS:
  void faceChosen(int index);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;

 private:
  QRect photoRect() const;

  QImage photo_;
  QString placeholder_;
  QList<QRect> boxes_;
  int current_ = 0;
  QComboBox* chooser_ = nullptr;
};
