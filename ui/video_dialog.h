// File > Apply Edit to Video's dialog: one frame of the clip before and after the current edit
// (rendered by the engine thread, as the run will render it), the face to edit when the frame
// shows several, and where to write the result. The run itself is the window's (applyEditToVideo).
#pragma once

#include <QDialog>

#include "engine_worker.h"

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;

class VideoDialog : public QDialog {
  Q_OBJECT

 public:
  VideoDialog(EngineWorker* worker, const QString& clip, const EditState& state, const QString& output, QWidget* parent = nullptr);

  QString clip() const { return clip_; }
  int face() const;          // by size (0: the largest)
  QString output() const;    // ends in .mp4
  // The preview on show (request 0 until the first arrives).
  const ClipPreviewSummary& preview() const { return preview_; }

 Q_SIGNALS:
  void previewShown();

 private:
  void ask(int face);
  void showPreview(const ClipPreviewSummary& p);
  void chooseOutput();

  EngineWorker* worker_;
  QString clip_;
  EditState state_;
  quint64 asked_ = 0;
  ClipPreviewSummary preview_;
  QLabel* before_ = nullptr;
  QLabel* after_ = nullptr;
  QLabel* about_ = nullptr;
  QComboBox* face_ = nullptr;
  QLineEdit* output_ = nullptr;
  QDialogButtonBox* buttons_ = nullptr;
};
