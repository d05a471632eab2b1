// MainWindow: the GlowLab window. The view, the attribute sliders, samples, interpolation,
// undo, exports and recipes; all engine work goes through the EngineWorker thread.
#pragma once

#include <QMainWindow>
#include <QSet>
#include <QUndoStack>

#include <functional>
#include <memory>
#include <optional>

#include "attribute_panel.h"
#include "autosave.h"
#include "edit_document.h"
#include "engine_worker.h"


class FacePicker;
class ImageView;
class InterpolationPanel;
class QDockWidget;
class QLabel;
class QMenu;
class QProgressBar;
class QTimer;
class QToolButton;
class SamplePanel;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Actions, callable without dialogs (menus and tests use them). Results arrive asynchronously.
  // Loads a model with the device of the preferences; nothing happens when it is the model already
  // open, unchanged on disk. The image stays (re-encoded by the new model, sliders by name) and the
  // switch is one undo step.
  void openModel(const QString& path);
  void openPhoto(const QString& path);
  void openImage(const QImage& image, ImageOrigin origin);
  void sample();
  // Makes sample `index` the current image (an undoable step: Ctrl+Z brings the photo back).
  void useSample(int index);
  // Interpolates the current image towards sample `index` (refused, with a hint, if it is the current image).
  void interpolateTowardsSample(int index);
  void setSecondPhoto(const QString& path);
  // Edits face `index` (by size, 0: the largest) of the current photo instead (an undoable step).
  void chooseFace(int index);
  // Synchronous writes of what is shown; false (and an error shown) on failure.
  bool saveImage(const QString& path, int scale = 1);
  bool saveRecipe(const QString& path);
  bool openRecipe(const QString& path);
  // Engine-side exports: exported() or errorShown() follows.
  void exportPasted(const QString& path);
  // Sweeps `attribute` over its range, or interpolates when it is empty.
  // `scale`: frames this many times the model's resolution.
  void exportAnimation(const QString& path, const QString& attribute, int frames = 24, double fps = 12.0, int scale = 1);

  // File > Apply Edit to Video without its dialogs: the current sliders, holds and detail applied
  // to every frame of `clip` (face `face` by size on its first frame with a face, followed), run
  // on the engine thread with the status bar's progress and Cancel; exported(output) follows, and
  // the status bar says the frames, the faces found and the time taken (errorShown on failure or
  // a cancel: nothing is written).
  void applyEditToVideo(const QString& clip, const QString& output, int face = 0);

  // Model > Import Checkpoint without its dialogs: imports another Glow implementation's checkpoint
  // into the .glow `output` on the engine thread (the window stays responsive, the status bar shows
  // it busy), then opens `output` as openModel() does (the image kept, one undo step). A failure
  // is one message (errorShown) with the import's text, which names the file.
  void importCheckpoint(const glowlab::ImportOptions& options, const QString& output);

  // Model > Bundled Models: the installed bundled models, most preferred first (the program passes
  // app/common's bundled_models()); each is checkable, the open one checked, and choosing one is
  // Open Model on it.
  void setBundledModels(const QStringList& paths);
  // The sentence to say when the program started on its default model and that is a fall-back
  // (default_model_note()): shown in the status bar the first time only (QSettings
  // "notes/defaultModelShown"), never on later starts. Returns whether it was shown.
  bool showDefaultModelNote(const QString& note);

  // Sets slider `name` (the model's name, as --set and recipes give it) as a user edit: one undo
  // step, held to its range with a hint. False when the model has no such slider.
  bool setSlider(const std::string& name, double value);

  // The autosave (one file per window, written atomically after each settled change: never while
  // a slider is held down). Windows that ended without closing leave theirs behind; the next start
  // offers the newest (offerRestore, a dialog) or restoreAutosave() brings one back. A restore that
  // was tried and did not finish (the program died during it) is set aside, never offered again.
  QString autosavePath() const;
  // Autosaves left by windows that ended abnormally, newest first (their restore not yet tried).
  QStringList orphanedAutosaves();
  bool restoreAutosave(const QString& path);
  // Asks (a non-blocking dialog) whether to restore the newest orphaned autosave; false when there is none.
  bool offerRestore();

  // Resizes to `preferred`, bounded by the screen's free area (a frame aside) and never below what
  // the controls need (the program's first size).
  void resizeToScreen(const QSize& preferred);

  EditDocument* document() const { return doc_; }
  EngineWorker* worker() const { return worker_; }
  ImageView* view() const { return view_; }
  AttributePanel* attributes() const { return attributes_; }
  // Sliders set since the image was last saved or exported (quitting asks first).
  bool hasUnexportedEdits() const;
  // A file name for an export of what is shown: "photo-smiling.png".
  QString suggestedFileName(const QString& extension) const;
  QUndoStack* undoStack() const;
  // The samples on show were drawn with other settings than the panel now has.
  bool samplesStale() const;
  quint64 requestedGeneration() const { return requested_; }
  quint64 shownGeneration() const { return shown_; }
  // Why the image on screen was limited (empty when the edit rendered in full).
  QString lastRenderNote() const { return lastNote_; }
  QList<QImage> sampleImages() const;
  QString lastError() const { return lastError_; }
  QString lastNotice() const { return lastNotice_; }
  const ImageSummary& currentImage() const { return image_; }
  void setSampleSettings(double temperature, quint64 seed, int count);

 Q_SIGNALS:
  void modelReady();
  void imageReady();
  void renderShown(quint64 generation);
  void samplesShown();
  void exported(const QString& path);
  void errorShown(const QString& message);
  void stripShown();
  // The autosave file was written (its path).
  void autosaved(const QString& path);

 protected:
  void closeEvent(QCloseEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void buildMenus();
  void buildDocks();
  void loadModel(const QString& path, const QString& device);
  // The document changed (a user edit, undo/redo, the engine's news): the panels show it, the
  // engine follows a model or image that undo/redo brought back, a render is asked for.
  void showDocument(const EditSnapshot& before);
  // The current image as the document records it.
  ImageRef imageRef(const ImageSummary& summary) const;
  void writeAutosave();
  void showModelLabels();
  void updateTitle();
  // Enables what can run now; a disabled action's tooltip says why.
  void updateActions();
  void markExported();
  void requestRender();
  void showError(const QString& message);
  void addRecent(const QString& path);
  void updateRecentMenu();
  void onModelLoaded(const ModelSummary& summary);
  void onImageReady(const ImageSummary& summary);
  void onRendered(const QImage& image, const RenderInfo& info);
  void onImported(const ImportOutcome& outcome);
  void onSecondReady(const QImage& image);
  void connectWorker();
  void connectPanels();
  // The engine's data in the window's words (main_window_text.cpp).
  QString modelCard() const;
  QString limitNote(const RenderInfo& info) const;
  void showFraming(const ImageSummary& summary);
  QString recipeWarnings(const std::vector<glowlab::RecipeWarning>& warnings) const;
  QString imageName(const ImageSummary& summary) const;
  // A recipe's image (its photo framed as saved, or its sample) with its sliders, holds and detail
  // (and an autosave's extras), applied once its model is the one open.
  void applyRecipe(const glowlab::Recipe& recipe, const glowlab::AppliedRecipe& applied, const RecipeExtras& extras = {});
  // Runs `then` once the model at `path` on `device` is the one open: at once when it is, else
  // after loading it (dropped if the load fails, never armed for a later load).
  void withModel(const QString& path, const QString& device, std::function<void()> then);
  void refreshStrip();
  // Menu handlers with dialogs.
  // Asks before unsaved edits are lost: `question` ("Quit"), `discard` the button that goes on
  // without saving ("&Quit Without Saving"); offers what a person would keep (the export into the
  // photo, the recipe, the image). True: go on.
  bool confirmDiscard(const QString& question, const QString& discard);
  void chooseAndOpenPhoto();
  void chooseAndOpenModel();
  // Model > Import Checkpoint: the checkpoint, then its format and what the file cannot say, then
  // where to write the .glow.
  void chooseAndImportCheckpoint();
  bool chooseAndSaveImage();
  void chooseAndExportPasted();
  // The same, waiting for the export to be written (the quit prompt's choice): true once it is.
  bool chooseAndExportPastedNow();
  QString choosePastedPath();
  void chooseAndExportAnimation();
  // File > Apply Edit to Video: the clip, then a preview of one frame with the choice of face and
  // the output (VideoDialog), then applyEditToVideo.
  void chooseAndApplyToVideo();
  void onClipEdited(const ClipEditSummary& summary);
  bool chooseAndSaveRecipe();
  void chooseAndOpenRecipe();
  void pasteImage();
  void showModelInfo();
  void showPreferences();

  EngineWorker* worker_ = nullptr;
  ImageView* view_ = nullptr;
  AttributePanel* attributes_ = nullptr;
  FacePicker* facePicker_ = nullptr;
  QDockWidget* faceDock_ = nullptr;
  QDockWidget* attrDock_ = nullptr;
  QDockWidget* sampleDock_ = nullptr;
  QDockWidget* interpDock_ = nullptr;
  QByteArray defaultLayout_;
  QAction* saveImageAction_ = nullptr;
  QAction* exportPastedAction_ = nullptr;
  QAction* exportAnimationAction_ = nullptr;
  QAction* saveRecipeAction_ = nullptr;
  QAction* applyToVideoAction_ = nullptr;
  bool videoRunning_ = false;  // an Apply Edit to Video run is on the engine thread
  QString videoClip_;          // its clip
  QAction* importAction_ = nullptr;
  QString importing_;  // the checkpoint being imported (empty when none)
  QSet<quint64> replayLoads_;  // model loads made by undo/redo (the panel already shows them)
  EditDocument* doc_ = nullptr;
  std::unique_ptr<Autosave> autosave_;
  QTimer* autosaveTimer_ = nullptr;
  QString restoring_;  // the orphaned autosave being restored (removed once its edit is shown)
  quint64 restoreShownAt_ = 0;  // the first render of the restored edit (0: not yet asked for)
  // What an image that is on its way gets instead of a fresh start (a recipe, a restore).
  struct Pending {
    PanelEdit sliders;
    int blend = 0;
    bool spherical = true;
  };
  std::optional<Pending> pending_;
  SecondRef requestedSecond_;  // the second image last asked of the engine
  SamplePanel* samplePanel_ = nullptr;
  InterpolationPanel* interpPanel_ = nullptr;
  QMenu* recentMenu_ = nullptr;
  QMenu* bundledMenu_ = nullptr;
  // Ticks the bundled model that is open (none when another file is).
  void updateBundledChecks();
  QLabel* modelLabel_ = nullptr;
  QLabel* renderLabel_ = nullptr;
  QLabel* bpdLabel_ = nullptr;
  QLabel* framingLabel_ = nullptr;
  QTimer* stripTimer_ = nullptr;
  void updateBlendCaption();
  // A hint in the status bar, kept as lastNotice().
  void notice(const QString& message, int ms = 8000);
  QProgressBar* progress_ = nullptr;
  QToolButton* cancel_ = nullptr;

  ModelSummary model_;
  ImageSummary image_;
  bool haveImage_ = false;
  bool haveSecond_ = false;
  quint64 requested_ = 0, shown_ = 0;
  bool limitShown_ = false;  // the status bar shows a "limited to" note
  QString lastEditedAttribute_;  // the slider edited last since the last Export Animation (its default)
  QString lastNote_;
  int requestedSample_ = -1;  // the sample asked to be the current image (-1: a photo)
  quint64 engineImage_ = 0;   // the engine's current image (ImageSummary::stateId; 0: none)
  QString lastNotice_;
  QString lastError_;
};
