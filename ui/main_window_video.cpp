// MainWindow's File > Apply Edit to Video: the clip chosen, one frame previewed (VideoDialog), then
// the run on the engine thread (EngineWorker::editClip) with the status bar's progress and Cancel.
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QProgressBar>
#include <QSettings>
#include <QStatusBar>
#include <QToolButton>

#include <algorithm>
#include <cmath>

#include "main_window.h"
#include "video_dialog.h"

void MainWindow::chooseAndApplyToVideo() {
  if (!applyToVideoAction_->isEnabled()) return;
  QSettings settings;
  const QString clip = QFileDialog::getOpenFileName(this, tr("Apply Edit to Video"), settings.value("paths/videos", QDir::homePath()).toString(),
                                                    tr("Videos (*.mp4 *.mov *.m4v *.avi *.mkv *.webm);;All files (*)"));
  if (clip.isEmpty()) return;
  settings.setValue("paths/videos", QFileInfo(clip).absolutePath());
  // "clip-smiling.mp4" beside the other exports: the clip's name and the edit's words.
  const QString words = suggestedFileName("mp4").section('-', 1);
  const QString name = QFileInfo(clip).completeBaseName() + '-' + (words.isEmpty() ? tr("edited.mp4") : words);
  const QString folder = settings.value("paths/exports", QFileInfo(clip).absolutePath()).toString();
  VideoDialog dialog(worker_, clip, doc_->editState(), QDir(folder).filePath(name), this);
  if (dialog.exec() != QDialog::Accepted || dialog.output().isEmpty()) return;
  settings.setValue("paths/exports", QFileInfo(dialog.output()).absolutePath());
  applyEditToVideo(clip, dialog.output(), dialog.face());
}

void MainWindow::applyEditToVideo(const QString& clip, const QString& output, int face) {
  videoRunning_ = true;
  videoClip_ = clip;
  updateActions();
  progress_->setRange(0, 1000);
  progress_->setValue(0);
  progress_->setFormat(tr("Video") + " %p%");
  progress_->setToolTip(tr("Editing %1").arg(QFileInfo(clip).fileName()));
  progress_->show();
  cancel_->show();
  notice(tr("Editing the face in %1…").arg(QFileInfo(clip).fileName()));
  worker_->editClip(clip, output, doc_->editState(), face);
}

void MainWindow::onClipEdited(const ClipEditSummary& s) {
  videoRunning_ = false;
  progress_->hide();
  cancel_->hide();
  updateActions();
  // The file's name first (the status bar is narrow; the folder is the one chosen in the dialog).
  QString text = tr("Wrote %1: %2 frames, %3 with a face, in %4 s (%5 frames/s)")
                     .arg(QFileInfo(s.output).fileName())
                     .arg(s.frames)
                     .arg(s.framesWithFace)
                     .arg(s.seconds, 0, 'f', 1)
                     .arg(s.frames / std::max(s.seconds, 1e-9), 0, 'f', 1);
  if (s.framesWithFace > 0 && s.framesWithFace < s.frames) text += tr("; %1 without one passed through unchanged").arg(s.frames - s.framesWithFace);
  if (s.framesWithFace == 0) text += tr("; no face was found, so the clip is unchanged");
  if (s.strength < 1.0) {
    text += tr("; the edit limited to %1% of its strength on every frame (a stronger edit does not decode cleanly on some; "
               "one strength for the clip, so the edit does not pump)")
                .arg(std::lround(100 * s.strength));
  }
  if (!s.sound && !s.soundNote.isEmpty()) text += tr("; its sound not carried: %1").arg(s.soundNote);
  notice(text, 20000);
  Q_EMIT exported(s.output);
}
