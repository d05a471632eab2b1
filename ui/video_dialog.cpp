#include "video_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QPushButton>
#include <QVBoxLayout>

#include <cmath>

namespace {

constexpr int kPreviewWidth = 360;

// The frame scaled to the preview's width, the faces' boxes drawn on it (the chosen one bright).
QPixmap previewPixmap(const QImage& frame, const QList<QRect>& faces, int chosen) {
  if (frame.isNull()) return {};
  const double scale = static_cast<double>(kPreviewWidth) / frame.width();
  QImage shown = frame.scaledToWidth(kPreviewWidth, Qt::SmoothTransformation).convertToFormat(QImage::Format_RGB32);
  if (faces.size() > 1) {
    QPainter p(&shown);
    p.setRenderHint(QPainter::Antialiasing);
    for (int i = 0; i < faces.size(); ++i) {
      const QRectF r(faces[i].x() * scale, faces[i].y() * scale, faces[i].width() * scale, faces[i].height() * scale);
      p.setPen(QPen(i == chosen ? QColor(255, 200, 0) : QColor(255, 255, 255, 110), i == chosen ? 2.5 : 1.0));
      p.drawRect(r);
    }
  }
  return QPixmap::fromImage(shown);
}

}  // namespace

VideoDialog::VideoDialog(EngineWorker* worker, const QString& clip, const EditState& state, const QString& output, QWidget* parent)
    : QDialog(parent), worker_(worker), clip_(clip), state_(state) {
  setWindowTitle(tr("Apply Edit to Video — %1").arg(QFileInfo(clip).fileName()));
  auto* layout = new QVBoxLayout(this);
  auto* pictures = new QHBoxLayout;
  auto picture = [&](const QString& name, const QString& caption) {
    auto* column = new QVBoxLayout;
    auto* label = new QLabel(tr("Reading the clip…"));
    label->setObjectName(name);
    label->setAlignment(Qt::AlignCenter);
    label->setMinimumSize(kPreviewWidth, kPreviewWidth * 9 / 16);
    column->addWidget(label);
    column->addWidget(new QLabel(caption), 0, Qt::AlignHCenter);
    pictures->addLayout(column);
    return label;
  };
  before_ = picture("before", tr("Before"));
  after_ = picture("after", tr("After: the current sliders"));
  layout->addLayout(pictures);
  about_ = new QLabel;
  about_->setObjectName("about");
  about_->setWordWrap(true);
  layout->addWidget(about_);
  auto* form = new QFormLayout;
  face_ = new QComboBox;
  face_->setObjectName("face");
  face_->setEnabled(false);
  face_->setToolTip(tr("The face to edit, chosen on this frame and followed through the clip"));
  form->addRow(tr("&Face:"), face_);
  auto* where = new QHBoxLayout;
  output_ = new QLineEdit(output);
  output_->setObjectName("output");
  where->addWidget(output_);
  auto* browse = new QPushButton(tr("&Browse…"));
  where->addWidget(browse);
  auto* whereLabel = new QLabel(tr("&Write to:"));
  whereLabel->setBuddy(output_);
  form->addRow(whereLabel, where);
  layout->addLayout(form);
  auto* note = new QLabel(tr("Every frame's face is edited at one strength and its change pasted back; frames without it "
                             "pass through unchanged. The clip's sound and frame times are kept."));
  note->setWordWrap(true);
  layout->addWidget(note);
  buttons_ = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  buttons_->button(QDialogButtonBox::Ok)->setText(tr("&Apply to Video"));
  buttons_->button(QDialogButtonBox::Ok)->setEnabled(false);
  layout->addWidget(buttons_);
  connect(buttons_, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons_, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(browse, &QPushButton::clicked, this, &VideoDialog::chooseOutput);
  connect(face_, &QComboBox::activated, this, [this](int index) { ask(index); });
  connect(worker_, &EngineWorker::clipPreviewReady, this, [this](const ClipPreviewSummary& p) {
    if (p.request == asked_) showPreview(p);
  });
  // A clip that cannot be read: said here too (the window shows the message as well).
  connect(worker_, &EngineWorker::failed, this, [this](const QString& message) {
    if (preview_.request == asked_) return;  // not about this dialog's preview
    before_->setText(tr("Cannot show the clip"));
    after_->clear();
    about_->setText(message);
  });
  ask(0);
}

int VideoDialog::face() const { return std::max(0, face_->currentIndex()); }

QString VideoDialog::output() const {
  QString path = output_->text().trimmed();
  if (!path.isEmpty() && QFileInfo(path).suffix().compare("mp4", Qt::CaseInsensitive) != 0) path += ".mp4";
  return path;
}

void VideoDialog::ask(int face) {
  buttons_->button(QDialogButtonBox::Ok)->setEnabled(false);
  about_->setText(tr("Rendering the preview…"));
  asked_ = worker_->previewClip(clip_, state_, face);
}

void VideoDialog::showPreview(const ClipPreviewSummary& p) {
  preview_ = p;
  const int chosen = p.face;
  before_->setPixmap(previewPixmap(p.before, p.faces, chosen));
  after_->setPixmap(previewPixmap(p.after, p.faces, chosen));
  face_->clear();
  for (int i = 0; i < p.faces.size(); ++i) face_->addItem(i == 0 ? tr("Face 1 (the largest)") : tr("Face %1").arg(i + 1));
  face_->setCurrentIndex(std::min(chosen, static_cast<int>(p.faces.size()) - 1));
  face_->setEnabled(p.faces.size() > 1);
  QStringList about;
  about << tr("Frame %1 of about %2 · %3×%4 at %5 frames/s")
               .arg(p.frameIndex + 1)
               .arg(p.frames)
               .arg(p.width)
               .arg(p.height)
               .arg(p.fps, 0, 'f', p.fps == std::round(p.fps) ? 0 : 2);
  if (p.faces.isEmpty()) {
    about << tr("No face was found in the clip's first frames: it may pass through unchanged.");
  } else if (!p.editedFace) {
    about << tr("This frame has no face %1.").arg(chosen + 1);
  } else if (p.strength < 1.0) {
    about << tr("On this frame the edit is limited to %1% of its strength (a stronger edit does not decode cleanly); the "
                "whole clip gets one strength, the least any frame allows.")
                 .arg(std::lround(100 * p.strength));
  }
  about_->setText(about.join(' '));
  buttons_->button(QDialogButtonBox::Ok)->setEnabled(true);
  Q_EMIT previewShown();
}

void VideoDialog::chooseOutput() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Write the Edited Video"), output_->text(), tr("MP4 video (*.mp4)"));
  if (!path.isEmpty()) output_->setText(path);
}
