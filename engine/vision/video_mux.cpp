#include "vision/video_mux.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/mathematics.h>
}

#include "core/error.h"

namespace glowlab {
namespace {

std::string av_text(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

struct Input {
  AVFormatContext* ctx = nullptr;
  Input() = default;
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;
  ~Input() {
    if (ctx) avformat_close_input(&ctx);
  }
  // Opens `path`; false with `why` when it cannot be read as a container.
  bool open(const std::string& path, std::string& why) {
    int e = avformat_open_input(&ctx, path.c_str(), nullptr, nullptr);
    if (e >= 0) e = avformat_find_stream_info(ctx, nullptr);
    if (e < 0) why = av_text(e);
    return e >= 0;
  }
};

struct Output {
  AVFormatContext* ctx = nullptr;
  Output() = default;
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;
  ~Output() {
    if (!ctx) return;
    if (ctx->pb) avio_closep(&ctx->pb);
    avformat_free_context(ctx);
  }
};

struct Packet {
  AVPacket* p = av_packet_alloc();
  Packet() = default;
  Packet(const Packet&) = delete;
  Packet& operator=(const Packet&) = delete;
  ~Packet() { av_packet_free(&p); }
};

// The presentation times of a stream's frames, in order; empty when a frame has none or two share one.
std::vector<int64_t> frame_times(const std::string& path, int stream) {
  Input in;
  std::string why;
  if (!in.open(path, why)) return {};
  Packet pkt;
  std::vector<int64_t> times;
  while (av_read_frame(in.ctx, pkt.p) >= 0) {
    const bool ours = pkt.p->stream_index == stream;
    const int64_t pts = pkt.p->pts;
    av_packet_unref(pkt.p);
    if (!ours) continue;
    if (pts == AV_NOPTS_VALUE) return {};
    times.push_back(pts);
  }
  std::sort(times.begin(), times.end());
  if (std::adjacent_find(times.begin(), times.end()) != times.end()) return {};
  return times;
}

// A monotone map from the pictures' timeline onto the source's: straight through the points
// (from[k], to[k]) and on beyond both ends along the nearest step.
class Retime {
 public:
  Retime(std::vector<int64_t> from, std::vector<int64_t> to) : from_(std::move(from)), to_(std::move(to)) {}
  int64_t operator()(int64_t t) const {
    if (t == AV_NOPTS_VALUE) return t;
    const auto it = std::upper_bound(from_.begin(), from_.end(), t);
    const size_t k = static_cast<size_t>(std::clamp<std::ptrdiff_t>(it - from_.begin() - 1, 0, static_cast<std::ptrdiff_t>(from_.size()) - 2));
    const double f = static_cast<double>(t - from_[k]) / static_cast<double>(from_[k + 1] - from_[k]);
    return to_[k] + std::llround(f * static_cast<double>(to_[k + 1] - to_[k]));
  }

 private:
  std::vector<int64_t> from_, to_;
};

}  // namespace

int display_rotation(const std::string& path) {
  Input in;
  std::string why;
  if (!in.open(path, why)) return 0;
  const int v = av_find_best_stream(in.ctx, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (v < 0) return 0;
  const auto* m = reinterpret_cast<const int32_t*>(av_stream_get_side_data(in.ctx->streams[v], AV_PKT_DATA_DISPLAYMATRIX, nullptr));
  if (!m) return 0;
  const double ccw = av_display_rotation_get(m);  // counter-clockwise, as FFmpeg's tools read it
  if (std::isnan(ccw)) return 0;
  const int cw = static_cast<int>(std::lround(-ccw / 90.0)) * 90;
  return ((cw % 360) + 360) % 360;
}

MuxReport mux_with_source(const std::string& pictures, const std::string& source, const std::string& output, const std::string& shown,
                          int frames) {
  MuxReport report;
  Input pics;
  std::string why;
  if (!pics.open(pictures, why)) throw Error(ErrorKind::Io, "cannot write " + shown + ": its frames cannot be read back (" + why + ")");
  const int pv = av_find_best_stream(pics.ctx, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (pv < 0) throw Error(ErrorKind::Io, "cannot write " + shown + ": its frames cannot be read back");
  const AVStream* pstream = pics.ctx->streams[pv];

  // The source's sound stream and its frames' times.
  Input src;
  int sv = -1, sa = -1;
  if (!src.open(source, why)) {
    report.sound_note = source + " could not be read again (" + why + ")";
  } else {
    sv = av_find_best_stream(src.ctx, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    sa = av_find_best_stream(src.ctx, AVMEDIA_TYPE_AUDIO, -1, sv, nullptr, 0);
    if (sa < 0) sa = -1;
  }
  const AVOutputFormat* mp4 = av_guess_format("mp4", nullptr, nullptr);
  if (sa >= 0) {
    const AVCodecID codec = src.ctx->streams[sa]->codecpar->codec_id;
    if (avformat_query_codec(mp4, codec, FF_COMPLIANCE_NORMAL) != 1) {
      report.sound_note = std::string("its codec (") + avcodec_get_name(codec) + ") does not go into an MP4";
      sa = -1;
    }
  }
  std::vector<int64_t> from, to;
  if (sv >= 0 && frames >= 2) {
    to = frame_times(source, sv);
    from = frame_times(pictures, pv);
    if (to.size() != static_cast<size_t>(frames) || from.size() != static_cast<size_t>(frames)) from.clear();
  }
  report.timing = !from.empty();
  const AVRational video_base = report.timing ? src.ctx->streams[sv]->time_base : pstream->time_base;
  const Retime retime(from, to);

  // Writes the output, with the sound or without it.
  auto write = [&](bool with_sound) {
    Output out;
    int e = avformat_alloc_output_context2(&out.ctx, mp4, nullptr, output.c_str());
    if (e < 0) throw Error(ErrorKind::Io, "cannot write " + shown + ": " + av_text(e));
    AVStream* ov = avformat_new_stream(out.ctx, nullptr);
    if (!ov || avcodec_parameters_copy(ov->codecpar, pstream->codecpar) < 0) throw Error(ErrorKind::Io, "cannot write " + shown + ": out of memory");
    ov->codecpar->codec_tag = 0;
    ov->time_base = video_base;
    ov->avg_frame_rate = report.timing ? src.ctx->streams[sv]->avg_frame_rate : pstream->avg_frame_rate;
    AVStream* oa = nullptr;
    if (with_sound) {
      const AVStream* a = src.ctx->streams[sa];
      oa = avformat_new_stream(out.ctx, nullptr);
      if (!oa || avcodec_parameters_copy(oa->codecpar, a->codecpar) < 0) throw Error(ErrorKind::Io, "cannot write " + shown + ": out of memory");
      oa->codecpar->codec_tag = 0;
      oa->time_base = a->time_base;
      av_dict_copy(&oa->metadata, a->metadata, 0);  // its language, say
    }
    e = avio_open(&out.ctx->pb, output.c_str(), AVIO_FLAG_WRITE);
    if (e < 0) throw Error(ErrorKind::Io, "cannot write " + shown + ": " + av_text(e));
    e = avformat_write_header(out.ctx, nullptr);
    if (e < 0) return av_text(e);  // (with sound: tried again without it)

    // Both inputs from their starts, the earlier packet first.
    Input pin, sin;
    if (!pin.open(pictures, why)) throw Error(ErrorKind::Io, "cannot write " + shown + ": " + why);
    if (with_sound && !sin.open(source, why)) throw Error(ErrorKind::Io, "cannot write " + shown + ": " + source + ": " + why);
    Packet vp, ap;
    bool have_v = false, have_a = false, v_done = false, a_done = !with_sound;
    int64_t last_dts = AV_NOPTS_VALUE;
    auto next = [](Input& in, int stream, Packet& p) {
      for (;;) {
        if (av_read_frame(in.ctx, p.p) < 0) return false;
        if (p.p->stream_index == stream) return true;
        av_packet_unref(p.p);
      }
    };
    for (;;) {
      if (!have_v && !v_done) v_done = !(have_v = next(pin, pv, vp));
      if (!have_a && !a_done) a_done = !(have_a = next(sin, sa, ap));
      if (!have_v && !have_a) break;
      bool video = have_v;
      if (have_v && have_a) {
        const int64_t vt = report.timing ? retime(vp.p->dts) : vp.p->dts;
        video = av_compare_ts(vt, video_base, ap.p->dts, sin.ctx->streams[sa]->time_base) <= 0;
      }
      if (video) {
        AVPacket* p = vp.p;
        if (report.timing) {
          const int64_t end = p->pts != AV_NOPTS_VALUE && p->duration > 0 ? retime(p->pts + p->duration) : AV_NOPTS_VALUE;
          p->pts = retime(p->pts);
          p->dts = retime(p->dts);
          p->duration = end != AV_NOPTS_VALUE ? end - p->pts : 0;
        }
        if (p->dts != AV_NOPTS_VALUE) {  // rounding must never make two frames one
          if (last_dts != AV_NOPTS_VALUE && p->dts <= last_dts) p->dts = last_dts + 1;
          if (p->pts != AV_NOPTS_VALUE && p->pts < p->dts) p->pts = p->dts;
          last_dts = p->dts;
        }
        av_packet_rescale_ts(p, video_base, ov->time_base);
        p->stream_index = ov->index;
        p->pos = -1;
        e = av_interleaved_write_frame(out.ctx, p);
        have_v = false;
      } else {
        AVPacket* p = ap.p;
        av_packet_rescale_ts(p, sin.ctx->streams[sa]->time_base, oa->time_base);
        p->stream_index = oa->index;
        p->pos = -1;
        e = av_interleaved_write_frame(out.ctx, p);
        have_a = false;
      }
      if (e < 0) throw Error(ErrorKind::Io, "cannot write " + shown + ": " + av_text(e));
    }
    e = av_write_trailer(out.ctx);
    if (e < 0) throw Error(ErrorKind::Io, "cannot write " + shown + ": " + av_text(e));
    return std::string();
  };
  if (sa >= 0) {
    const std::string failed = write(true);
    if (failed.empty()) {
      report.sound = true;
      return report;
    }
    report.sound_note = "the MP4 could not be written with it (" + failed + ")";
  }
  const std::string failed = write(false);
  if (!failed.empty()) throw Error(ErrorKind::Io, "cannot write " + shown + ": " + failed);
  return report;
}

}  // namespace glowlab
