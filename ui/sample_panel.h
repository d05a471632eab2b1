// SamplePanel: the Samples dock's contents. Temperature, seed and count, the Sample button, the grid
// of samples and what to do with the selected one; it asks, the window acts.
#pragma once

#include <QImage>
#include <QList>
#include <QWidget>

class QDoubleSpinBox;
class QLabel;
class QListWidget;
class QPushButton;
class QSpinBox;

// The settings samples are drawn with.
struct SampleSettings {
  double temperature = 0.7;
  quint64 seed = 0;
  int count = 12;
};

class SamplePanel : public QWidget {
  Q_OBJECT

 public:
  explicit SamplePanel(QWidget* parent = nullptr);

  SampleSettings settings() const;  // as the controls are set now
  void setSettings(const SampleSettings& settings);
  // What the samples on show were drawn with (the grid says when the controls differ).
  SampleSettings drawn() const { return drawn_; }
  void setDrawn(const SampleSettings& settings);
  // The samples on show were drawn with other settings than the controls now have.
  bool isStale() const;
  void setSamples(const QList<QImage>& images);
  void clearSamples();
  QList<QImage> samples() const { return samples_; }
  int selected() const;
  // Interpolating towards a sample needs a current image.
  void setHaveImage(bool have);

 Q_SIGNALS:
  void sampleRequested();
  void editRequested(int index);
  void towardsRequested(int index);

 private:
  QWidget* buildSettings();
  void updateStale();
  void showMenu(const QPoint& pos);

  QDoubleSpinBox* temperature_ = nullptr;
  QSpinBox* seed_ = nullptr;
  QSpinBox* count_ = nullptr;
  QLabel* stale_ = nullptr;
  QListWidget* list_ = nullptr;
  QPushButton* use_ = nullptr;
  QPushButton* towards_ = nullptr;
  QList<QImage> samples_;
  SampleSettings drawn_;
  bool haveImage_ = false;
};
