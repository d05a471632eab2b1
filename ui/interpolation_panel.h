// InterpolationPanel: the Interpolation dock's contents. A and B as thumbnails, the choices for B,
// the blend slider with Play, and the strip of frames between them; it asks, the window acts.
#pragma once

#include <QImage>
#include <QList>
#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;
class QSlider;
class QTimer;

class InterpolationPanel : public QWidget {
  Q_OBJECT

 public:
  explicit InterpolationPanel(QWidget* parent = nullptr);

  int blend() const;  // 0..100: percent towards B
  void setBlend(int percent);
  bool spherical() const;
  bool haveSecond() const { return haveSecond_; }
  // B is set: the blend and Play can run.
  void setSecond(const QImage& image);
  void setFirstThumbnail(const QImage& image);  // a null image clears it
  // The frames from A to B as edited; the thumbnails show its ends.
  void setStrip(const QList<QImage>& frames);
  QPixmap stripPixmap() const;

 Q_SIGNALS:
  void blendChanged(int percent);
  void modeChanged();
  void secondPhotoRequested();
  void selectedSampleRequested();

 private:
  QLayout* buildEnds();
  QLayout* buildBlendRow();
  void updateCaption();

  QLabel* firstThumb_ = nullptr;
  QLabel* secondThumb_ = nullptr;
  QSlider* slider_ = nullptr;
  QLabel* value_ = nullptr;
  QComboBox* mode_ = nullptr;
  QPushButton* play_ = nullptr;
  QLabel* strip_ = nullptr;
  QTimer* playTimer_ = nullptr;
  int playDirection_ = 1;  // Play's direction: towards B (1) or back to A (-1)
  bool haveSecond_ = false;
};
