// EngineWorker: the one thread that owns the Glow model. Requests return at once; renders go
// through a single-slot mailbox (the newest replaces any waiting one); results come as signals.
// The pattern of Qt's Mandelbrot example, with atomic flags. On a CPU a second render lane (a
// thread of its own, reading a snapshot of the model and latents) takes the next render while this
// one is busy, so a drag has two renders in flight, one per core (renderLanes()).
#pragma once

#include <QImage>
#include <QList>
#include <QMutex>
#include <QString>
#include <QStringList>
#include <QThread>
#include <QWaitCondition>

#include <array>
#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "glowlab.h"

// Everything a render depends on besides the current image: the sliders, and the blend.
struct EditState : glowlab::SliderEdit {
  bool interpolating = false;
  double t = 0.0;            // blend towards the second image
  bool spherical = true;
  bool draft = false;        // a frame while a slider moves: rendered in the draft precision (see draftPrecision)
};

struct ModelSummary {
  QString path, name, device;
  QString requestedDevice;           // what was asked for ("auto", "cpu", "cuda"); device is what it got
  QString stamp;                     // the file's size and modification time when it was read
  QString sha256;                    // of the file as it was read (recipes record it)
  quint64 request = 0;               // the loadModel() call this answers
  bool keptImage = false;            // the current image was carried over (re-encoded by this model)
  int imageSize = 0, levels = 0;
  bool checksummed = false;
  std::vector<glowlab::Attribute> attributes;
  glowlab::ModelDescription description;  // what Model Info shows
};

// Where the current image came from.
enum class ImageOrigin { File, Clipboard, Dropped, Sample };

// How the crop was made from the photo.
enum class Framing { Landmarks, FaceBox, CentreCrop, Recipe, Sample };

struct ImageSummary {
  QImage original;  // the photo as opened (empty for samples)
  QImage crop;      // the model-sized image that was encoded
  bool faceFound = true;
  double bitsPerDim = 0;
  Framing framing = Framing::CentreCrop;
  bool eyesLevelled = false;  // a face-box framing rotated to level the eyes
  QString cropNote;           // the aligner's reason for a weaker framing than asked for (empty: none)
  bool announce = true;       // the window says the note and the faces found (false: a re-encode already said)
  std::array<double, 6> transform{};
  int faceIndex = 0;        // which face the crop frames, by size (0: the largest)
  QList<QRect> faceBoxes;   // every face found in the photo, largest first (photo pixels)
  ImageOrigin origin = ImageOrigin::File;
  QString source;           // the file's path (origin File), else empty
  QString sha256;           // of that file as it was read (recipes record it)
  quint64 stateId = 0;    // the worker's record of this image (restoreImage brings it back)
  bool restored = false;  // true when restoreImage produced it (no new undo step)
};

// A render's outcome besides its image.
struct RenderInfo {
  quint64 generation = 0;
  double milliseconds = 0;
  double strength = 1.0;      // below 1: the edit was limited to this fraction of its strength
  glowlab::Alphas limitedTo;  // when limited: each moved slider at the value shown
  int lane = 0;               // which render lane made it (0: the engine thread, 1: the second lane)
  bool draft = false;         // rendered in bf16 as a draft: the exact frame follows once the slider settles
};

// What an import did: it wrote `output` (notes: what it inferred or ignored), or it failed (error:
// the import's message, naming the file), or it never ran (cancelled).
struct ImportOutcome {
  QString checkpoint, output;
  QStringList notes;
  QString error;
  bool cancelled = false;
};

// One frame of a video before and after the edit (File > Apply Edit to Video's preview).
struct ClipPreviewSummary {
  quint64 request = 0;  // the previewClip() call this answers
  QString clip;
  int face = 0;         // the face asked for, by size (0: the largest)
  QImage before, after; // the frame as read, and with the edit of that face pasted in
  QList<QRect> faces;   // every face on it (frame pixels), largest first
  bool editedFace = false;  // the face asked for is there and was edited
  int frameIndex = 0;       // which frame (0: the first)
  int frames = 0, width = 0, height = 0;
  double fps = 0.0;
  double strength = 1.0;    // what the guard allows on this frame
};

// What a video edit did (File > Apply Edit to Video).
struct ClipEditSummary {
  QString clip, output, codec;
  bool sound = false;  // the clip's sound went in
  QString soundNote;   // it has sound that did not go in: why
  int frames = 0, framesWithFace = 0, width = 0, height = 0;
  double fps = 0.0, strength = 1.0, seconds = 0.0;
};

// A long job's progress, by what it is.
enum class Task { Sampling, Exporting, Video };

class EngineWorker : public QThread {
  Q_OBJECT

 public:
  explicit EngineWorker(QObject* parent = nullptr);
  ~EngineWorker() override;

  // Loads a model; the current image (photo and crop, or sample), the second image and the image
  // history are kept and re-encoded by it (modelLoaded, then imageReady with restored set, follow).
  // Returns the request number that ModelSummary::request carries.
  quint64 loadModel(const QString& path, const QString& device);
  // A file's size and modification time, as ModelSummary::stamp (to tell an unchanged file).
  static QString fileStamp(const QString& path);
  // Decodes, finds and aligns the face (or centre-crops), encodes exactly; imageReady follows.
  // `faceIndex` picks a face by size (0: the largest).
  void openPhoto(const QString& path, bool centreFallback = true, int faceIndex = 0);
  void openImage(const QImage& image, ImageOrigin origin);
  // A photo without a file (kept by the autosave) framed by a saved transform, as
  // openPhotoWithTransform does for a file.
  void openImageWithTransform(const QImage& image, ImageOrigin origin, const std::array<double, 6>& transform, int faceIndex = 0);
  // Re-frames the current photo on another of its faces (ImageSummary::faceBoxes); imageReady follows.
  void chooseFace(int faceIndex);
  // Re-applies a saved crop (recipes); `faceIndex` is recorded, the transform is used as saved.
  void openPhotoWithTransform(const QString& path, const std::array<double, 6>& transform, int faceIndex = 0);
  void render(const EditState& state, quint64 generation);
  void sample(int n, double temperature, quint64 seed);
  // Makes sample i of the last sample() call the current image (or the second, for interpolation).
  void useSample(int index, bool asSecond = false);
  // Brings back an earlier current image (its latent, photo and crop) by its ImageSummary::stateId;
  // the worker keeps the last kHistory of them (undo of an image switch).
  void restoreImage(quint64 stateId);
  static constexpr size_t kHistory = 16;
  void setSecondPhoto(const QString& path);
  // Exports (run on this thread; exported or failed follows).
  void exportPasted(const QString& path, const EditState& state);
  // `scale`: frames enlarged this many times over the model's resolution.
  void exportAnimation(const QString& path, const EditState& state, const QString& sweepAttribute, int frames, double fps,
                       int scale = 1);
  // A video's first frame with a face, before and after the edit of face `face` (by size);
  // clipPreviewReady follows (failed for a file that is not a video). Returns the request number.
  quint64 previewClip(const QString& clip, const EditState& state, int face);
  // Edits the face in every frame of `clip` (glowlab::edit_clip: the face followed, one strength,
  // the change pasted into each frame) and writes `output` atomically; progress(Task::Video) as it
  // goes, cancel() stops it with nothing written (failed says so), clipEdited when done.
  void editClip(const QString& clip, const QString& output, const EditState& state, int face);
  // Turns another Glow implementation's checkpoint into the .glow `output` (engine/import,
  // docs/import.md) on this thread; imported follows (with the import's message on failure). The
  // current model and image are untouched (the window then opens `output` like any model).
  void importCheckpoint(const glowlab::ImportOptions& options, const QString& output);
  // n frames from the current image to the second one (stripReady follows).
  void interpolationStrip(const EditState& state, int n);
  // Compares a recipe's model and photo with its checksums (hashing them here, not on the caller's
  // thread); recipeChecked follows with the warnings.
  void checkRecipe(const glowlab::Recipe& recipe, const glowlab::AppliedRecipe& applied);
  // Cancels the job running now and every job already queued (not those posted later); a failed
  // model load does the same for the jobs queued behind it.
  void cancel() { cancelUpTo_ = posted_.load(); }

  int renderCount() const { return renders_.load(); }
  // How many renders may be in flight at once: 2 on a CPU with two or more cores, else 1
  // (GLOWLAB_RENDER_LANES=1 keeps one), and the intra-op threads each lane renders with.
  int renderLanes() const { return lanes_; }
  int threadsPerLane() const { return laneThreads_; }
  // The precision of draft frames for the current model: bf16 where it measured faster on this CPU
  // (glowlab::draft_precision, timed once per model), else fp32, which makes drafts exact.
  // GLOWLAB_DRAFT_PRECISION=fp32|bf16 decides instead of the measurement.
  glowlab::Precision draftPrecision() const { return static_cast<glowlab::Precision>(draftPrecision_.load()); }

 Q_SIGNALS:
  void modelLoaded(const ModelSummary& summary);
  void imageReady(const ImageSummary& summary);
  void secondReady(const QImage& image);
  void rendered(const QImage& image, const RenderInfo& info);
  void samplesReady(const QList<QImage>& images);
  void stripReady(const QList<QImage>& frames);
  void progress(Task task, double fraction);
  // detail: how it was written, when that varies (an MP4's codec, e.g. "H.264 (avc1)"), or for an
  // edit pasted into the photo what of the photo's profile and metadata could not go with it; else empty.
  // leftOut: for a paste into the photo that left out a part of the edit worth saying
  // (glowlab::PastedEdit::partly_left_out), the share of the change the photo did not receive; else 0.
  void exported(const QString& path, const QString& detail, double leftOut);
  void failed(const QString& message);
  // importCheckpoint is done (or was cancelled).
  void imported(const ImportOutcome& outcome);
  // The second image asked for is the current image itself: it was not set.
  void secondIsCurrent();
  void recipeChecked(const std::vector<glowlab::RecipeWarning>& warnings);
  void clipPreviewReady(const ClipPreviewSummary& preview);
  void clipEdited(const ClipEditSummary& summary);

 protected:
  void run() override;

 private:
  // Queues a job; returns its ticket. A model load is also remembered as one (see loadModel).
  quint64 post(std::function<void()> job, bool modelLoad = false);
  void setCurrent(const glowlab::Image& crop, ImageSummary summary);
  // photo_ and crop_ as the summary of a newly opened image.
  ImageSummary photoSummary(ImageOrigin origin, const QString& path) const;
  ImageOrigin origin_ = ImageOrigin::File;  // where photo_ came from
  QString source_;                          // its file (origin File)
  // An image brought to this model's size and channels (a re-encode after a model switch).
  glowlab::Image toModelSize(const glowlab::Image& image);
  // The same crop of `photo` (re-)made for this model: `old`'s transform, scaled from `oldSize`.
  glowlab::FaceCrop recrop(const glowlab::Image& photo, const glowlab::FaceCrop& old, int oldSize);
  // The latent a state edits: the current image's, or its blend towards the second image.
  static std::vector<float> baseOf(const std::vector<float>& latent, const std::vector<float>& second, const EditState& state);
  std::vector<float> baseFor(const EditState& state) const;
  // The guarded render of a state: never a non-finite or runaway image, and what was limited.
  glowlab::RenderedEdit renderState(const EditState& state);
  // A latent drawn from the prior (a sample) decoded under the guard, from the zero latent.
  glowlab::Image renderSample(const std::vector<float>& latent);
  glowlab::Model& model();

  // What the second lane renders from: a snapshot taken by the engine thread between jobs (the
  // Model shares its weights; the latents are copies). Null while a job may change them.
  struct RenderContext {
    glowlab::Model model;
    std::vector<float> latent, second;
  };
  // Renders one request against a model and latents (either lane; `lane` is said in RenderInfo):
  // names the model lacks dropped, a draft in the draft precision; rendered follows.
  void renderRequest(glowlab::Model& model, const std::vector<float>& latent, const std::vector<float>& second,
                     std::pair<EditState, quint64> request, int lane);
  void laneLoop();
  // The engine thread, before a job (the lane's snapshot already withdrawn as the job was taken):
  // the lane finishes the frame it has, so what it sends goes out before anything the job sends.
  void holdLane();
  // The engine thread, after a job: a model not seen before is decoded once here (its folded
  // weights are cached by this thread, never by two at once) and its draft precision chosen; then a
  // new snapshot for the lane (CPU models).
  void afterJob();
  int lanes_ = 1, laneThreads_ = 1;
  std::thread lane_;
  std::shared_ptr<const RenderContext> laneContext_;  // under mutex_
  bool laneBusy_ = false;                             // under mutex_
  QWaitCondition laneIdle_;
  int warmModelGen_ = -1;                             // engine thread: the model decoded once (afterJob)
  std::atomic<int> draftPrecision_{static_cast<int>(glowlab::Precision::FP32)};

  QMutex mutex_;
  QWaitCondition wake_;
  std::deque<std::pair<quint64, std::function<void()>>> jobs_;
  std::optional<std::pair<EditState, quint64>> pendingRender_;
  std::atomic<bool> abort_{false};
  bool cancelled() const { return running_ <= cancelUpTo_.load(); }
  std::atomic<quint64> posted_{0};      // tickets handed to posted jobs
  std::atomic<quint64> cancelUpTo_{0};  // jobs with a ticket up to this are cancelled
  quint64 running_ = 0;                 // the ticket of the job running now (worker thread)
  std::deque<quint64> modelLoads_;      // tickets of queued model loads (under mutex_)
  bool failedLoadUnseen_ = false;       // a model load failed and the UI thread has not received it yet (under mutex_)
  // A failed model load: what was queued behind it is cancelled (see post()).
  void dropJobsBehindFailedLoad();
  // The current image re-encoded by a newly loaded model (the same crop of the same photo, or the
  // same sample's pixels); its summary, or none when there is no image.
  std::optional<ImageSummary> keepImage(int oldSize);
  std::atomic<int> renders_{0};
  std::atomic<quint64> clipPreviews_{0};

  // Owned by the worker thread only.
  std::optional<glowlab::Model> model_;
  glowlab::Image photo_;
  glowlab::Image photoColour_;  // photo_ in colour (a grey model's photo_ is grey): a later colour model uses it
  // `image` with `channels` channels (grey <-> RGB).
  static glowlab::Image withChannels(const glowlab::Image& image, int channels);
  // photoColour_ for a photo just read from `path` as photo_ (another read only for a grey model).
  void keepColour(const QString& path);
  glowlab::FaceCrop crop_;
  std::vector<float> latent_, second_;
  glowlab::Image currentCrop_, secondCrop_;  // the model-sized images latent_ and second_ encode
  ImageSummary currentSummary_;              // what imageReady last said of the current image
  int modelGen_ = 0;                         // counts model loads (history entries record theirs)
  std::atomic<quint64> loadRequests_{0};
  std::vector<std::vector<float>> sampleLatents_;
  struct SavedImage {
    quint64 id = 0;
    std::vector<float> latent;
    glowlab::Image photo;
    glowlab::FaceCrop crop;
    ImageSummary summary;
    glowlab::Image image;  // the model-sized image `latent` encodes
    glowlab::Image photoColour;
    int modelGen = 0;      // the model that encoded it; another one re-encodes it on restore
    int size = 0;          // that model's image size
  };
  std::deque<SavedImage> history_;
  quint64 nextStateId_ = 0;
  void remember(ImageSummary& summary);
  // True (and secondIsCurrent sent) when `latent` is the current image itself.
  bool sameAsCurrent(const std::vector<float>& latent);
};

Q_DECLARE_METATYPE(ModelSummary)
Q_DECLARE_METATYPE(ImageSummary)
Q_DECLARE_METATYPE(RenderInfo)
Q_DECLARE_METATYPE(Task)
Q_DECLARE_METATYPE(ImportOutcome)
Q_DECLARE_METATYPE(ClipPreviewSummary)
Q_DECLARE_METATYPE(ClipEditSummary)
Q_DECLARE_METATYPE(std::vector<glowlab::RecipeWarning>)
