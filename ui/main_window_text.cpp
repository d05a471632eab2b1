// MainWindow's words for what the engine thread reports as data: the model card, why an edit was
// limited, where a crop came from, what a recipe cannot vouch for. Translated here, nowhere else.
#include <QFileInfo>
#include <QLabel>
#include <QStatusBar>

#include "main_window.h"

namespace {

QString plusMinus(double v) { return QString::asprintf("%+.2f", v); }

QString displayName(const std::string& attribute) { return QString::fromStdString(glowlab::display_name(attribute)); }

}  // namespace

QString MainWindow::modelCard() const {
  // A readable summary (rich text), not a dump.
  const glowlab::ModelDescription& d = model_.description;
  const glowlab::GlowConfig& c = d.config;
  auto row = [](const QString& k, const QString& v) { return QStringLiteral("<tr><td><b>%1</b>&nbsp;&nbsp;</td><td>%2</td></tr>").arg(k, v); };
  QString html = QStringLiteral("<h3>%1</h3><table>").arg(model_.name.toHtmlEscaped());
  html += row(tr("File"), model_.path.toHtmlEscaped());
  html += row(tr("Images"), tr("%1 × %1, %2, %3-bit").arg(c.image_size).arg(c.channels == 1 ? tr("grey") : tr("colour")).arg(c.n_bits));
  html += row(tr("Flow"), tr("%1 levels × %2 steps, width %3, %4 coupling, %5 1×1 convolution, %6 top prior")
                            .arg(c.levels).arg(c.steps).arg(c.width)
                            .arg(QString::fromStdString(glowlab::to_string(c.coupling)), QString::fromStdString(glowlab::to_string(c.permutation)),
                                 c.learn_top ? tr("learned") : tr("standard")));
  html += row(tr("Scale"), c.scale_min > 0 ? tr("bounded: %1 + %2 × sigmoid(h + 2)").arg(c.scale_min, 0, 'f', 3).arg(1.0 - c.scale_min, 0, 'f', 3)
                                           : tr("sigmoid(h + 2), unbounded inverse"));
  const double params = static_cast<double>(d.parameters);
  html += row(tr("Parameters"), params >= 1e6 ? tr("%1 million").arg(params / 1e6, 0, 'f', 1) : QString::number(d.parameters));
  html += row(tr("Latent"), tr("%1 values").arg(d.latent_size));
  html += row(tr("Framing"), d.framing.empty() ? tr("none: photos are framed by the face detector's box")
                                               : tr("five landmarks: photos are aligned onto them"));
  html += row(tr("Device"), model_.device.toUpper());
  html += row(tr("Integrity"), d.checksummed ? tr("SHA-256 checksums verified") : tr("no checksum (an older file): damage cannot be detected"));
  html += QStringLiteral("</table>");
  if (d.attributes.empty()) {
    html += tr("<p>No attribute directions: sampling and interpolation work, editing does not.</p>");
  } else {
    html += tr("<h4>Attributes (%1)</h4><table>").arg(d.attributes.size());
    html += tr("<tr><th align=left>Slider</th><th align=left>&nbsp;Range</th><th align=left>&nbsp;Learnt from</th></tr>");
    for (const auto& a : d.attributes) {
      const QString unit = a.unit.empty() ? QString() : QStringLiteral(" ") + QString::fromStdString(a.unit);
      html += QStringLiteral("<tr><td>%1</td><td>&nbsp;%2 … %3%4</td><td>&nbsp;%5</td></tr>")
                  .arg(displayName(a.name).toHtmlEscaped(), plusMinus(a.range_min), plusMinus(a.range_max), unit.toHtmlEscaped(),
                       tr("%1 with, %2 without").arg(a.positives).arg(a.negatives));
    }
    html += QStringLiteral("</table>");
  }
  if (!d.provenance.empty()) {
    html += tr("<h4>Provenance</h4><table>");
    for (const auto& f : d.provenance) {
      const QString v = f.flag ? (f.value == "true" ? tr("yes") : tr("no")) : QString::fromStdString(f.value);
      html += row(QString::fromStdString(f.key).replace('_', ' ').toHtmlEscaped(), v.toHtmlEscaped());
    }
    html += QStringLiteral("</table>");
  } else if (!d.provenance_json.empty() && d.provenance_json != "{}") {
    html += tr("<h4>Provenance</h4><p>%1</p>").arg(QString::fromStdString(d.provenance_json).toHtmlEscaped());
  }
  return html;
}

QString MainWindow::limitNote(const RenderInfo& info) const {
  if (info.strength >= 1.0) return {};
  QStringList parts;
  for (const auto& [name, value] : info.limitedTo) parts << tr("%1 limited to %2").arg(displayName(name), plusMinus(value));
  return parts.isEmpty() ? tr("This edit leaves the colours the model can draw; shown at %1% of its strength").arg(qRound(100 * info.strength))
                         : tr("%1 for this image (a stronger edit leaves the colours the model can draw)").arg(parts.join(QStringLiteral(", ")));
}

QString MainWindow::imageName(const ImageSummary& summary) const {
  switch (summary.origin) {
    case ImageOrigin::Clipboard: return tr("clipboard");
    case ImageOrigin::Dropped: return tr("dropped");
    case ImageOrigin::Sample: return tr("sample");
    case ImageOrigin::File: break;
  }
  return QFileInfo(summary.source).fileName();
}

void MainWindow::showFraming(const ImageSummary& s) {
  // Where the crop came from: a word for the status bar and a sentence for its tooltip. The
  // aligner's note says why the framing is weaker than asked for (no landmarks, no face at all).
  const QString note = s.cropNote;
  const QString why = note.isEmpty() ? QString() : note.left(1).toUpper() + note.mid(1) + QStringLiteral(".");
  QString word, sentence;
  switch (s.framing) {
    case Framing::Sample:
      word = tr("Sample");
      sentence = tr("A sample drawn by the model: there is no photo and no crop.");
      break;
    case Framing::Recipe:
      word = tr("Crop from recipe");
      sentence = tr("The crop saved in the recipe (its transform), applied as saved.");
      break;
    case Framing::CentreCrop:
      word = tr("No face: centre crop");
      sentence = note.isEmpty() ? tr("No face was found: the centre square of the photo is used.") : why;
      break;
    case Framing::Landmarks:
      word = tr("Framed by landmarks");
      sentence = tr("Framed by the five landmarks of face %1 (eyes, nose tip, mouth corners), mapped onto the model's framing.")
                     .arg(s.faceIndex + 1);
      if (!why.isEmpty()) sentence += QStringLiteral(" ") + why;  // e.g. a face enlarged beyond its detail
      break;
    case Framing::FaceBox:
      word = tr("Framed by face box");
      sentence = tr("Framed by the face detector's box around face %1%2.")
                     .arg(s.faceIndex + 1)
                     .arg(s.eyesLevelled ? tr(", levelled by the eyes") : tr(" (not levelled: the eyes were not found)"));
      if (!why.isEmpty()) sentence += QStringLiteral(" ") + why;
      break;
  }
  framingLabel_->setText(word);
  framingLabel_->setToolTip(sentence);
  if (!s.announce) return;
  QString message;
  if (!note.isEmpty()) {
    const QString name = s.origin == ImageOrigin::File ? QFileInfo(s.source).fileName() : tr("The %1 image").arg(imageName(s));
    message = name + QStringLiteral(": ") + note;
  } else if (s.faceBoxes.size() > 1) {
    message = tr("%1 faces found: editing face %2 (choose another in the Faces panel)").arg(s.faceBoxes.size()).arg(s.faceIndex + 1);
  }
  if (!message.isEmpty()) statusBar()->showMessage(message, 8000);
}

QString MainWindow::recipeWarnings(const std::vector<glowlab::RecipeWarning>& warnings) const {
  QStringList said;
  for (const auto& w : warnings) {
    const bool changed = w.kind == glowlab::RecipeWarning::Kind::Changed;
    if (w.photo) {
      said << (changed ? tr("Warning: the photo has changed since the recipe was saved")
                       : tr("Warning: the recipe has no checksum of its photo: a change to it cannot be detected"));
    } else {
      said << (changed ? tr("Warning: the model file has changed since the recipe was saved")
                       : tr("Warning: the recipe has no checksum of its model: a change to it cannot be detected"));
    }
  }
  return said.join(QStringLiteral(". "));
}
