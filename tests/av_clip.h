// Clips with what OpenCV's writer cannot make, for test_clip: frames at chosen times (a variable
// frame rate), a rotation flag (a phone's portrait clip) and a sound track, written by FFmpeg's
// libraries (Motion JPEG pictures, an AAC tone) into a QuickTime file; and what a written clip holds.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
}

#include "core/image.h"

namespace glowlab::test {

struct ClipExtras {
  std::vector<double> seconds;  // each frame's time (empty: 25 frames a second)
  int rotation = 0;             // degrees a player turns the pictures clockwise to show them (0, 90, 180, 270)
  bool tone = false;            // a 440 Hz tone as long as the clip
  bool pcm = false;             // the tone as 16-bit PCM (which an MP4 cannot hold), not AAC
};

// Writes `frames` (RGB, one size; stored turned by -rotation so that a player showing them turned
// by `rotation` shows them as given) to `path` (.mov). Returns an empty string or what failed.
inline std::string write_av_clip(const std::string& path, const std::vector<Image>& frames, const ClipExtras& x) {
  av_log_set_level(AV_LOG_ERROR);  // not the encoders' statistics
  AVFormatContext* out = nullptr;
  if (avformat_alloc_output_context2(&out, nullptr, "mov", path.c_str()) < 0) return "no mov muxer";
  auto fail = [&](const std::string& why) {
    if (out->pb) avio_closep(&out->pb);
    avformat_free_context(out);
    return why;
  };
  const bool turned = x.rotation == 90 || x.rotation == 270;
  const int w = turned ? frames[0].height : frames[0].width, h = turned ? frames[0].width : frames[0].height;
  const AVCodec* mjpeg = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
  AVCodecContext* vc = avcodec_alloc_context3(mjpeg);
  vc->width = w;
  vc->height = h;
  vc->pix_fmt = AV_PIX_FMT_YUVJ444P;
  vc->time_base = {1, 90000};
  vc->global_quality = FF_QP2LAMBDA * 2;
  vc->flags |= AV_CODEC_FLAG_QSCALE;
  if (avcodec_open2(vc, mjpeg, nullptr) < 0) return fail("cannot open the MJPEG encoder");
  AVStream* vs = avformat_new_stream(out, nullptr);
  avcodec_parameters_from_context(vs->codecpar, vc);
  vs->time_base = {1, 90000};
  if (x.rotation != 0) {
    auto* m = reinterpret_cast<int32_t*>(av_stream_new_side_data(vs, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t)));
    av_display_rotation_set(m, x.rotation);  // read back (as players and OpenCV read it) as x.rotation clockwise
  }
  AVCodecContext* ac = nullptr;
  AVStream* as = nullptr;
  if (x.tone) {
    const AVCodec* aac = avcodec_find_encoder(x.pcm ? AV_CODEC_ID_PCM_S16LE : AV_CODEC_ID_AAC);
    ac = avcodec_alloc_context3(aac);
    ac->sample_fmt = x.pcm ? AV_SAMPLE_FMT_S16 : AV_SAMPLE_FMT_FLTP;
    ac->sample_rate = 48000;
    av_channel_layout_default(&ac->ch_layout, 1);
    ac->bit_rate = 64000;
    ac->time_base = {1, 48000};
    if (out->oformat->flags & AVFMT_GLOBALHEADER) ac->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (avcodec_open2(ac, aac, nullptr) < 0) return fail("cannot open the AAC encoder");
    as = avformat_new_stream(out, nullptr);
    avcodec_parameters_from_context(as->codecpar, ac);
    as->time_base = {1, 48000};
  }
  if (avio_open(&out->pb, path.c_str(), AVIO_FLAG_WRITE) < 0 || avformat_write_header(out, nullptr) < 0) return fail("cannot write " + path);
  AVPacket* pkt = av_packet_alloc();
  int64_t frame_duration = 0;  // the picture being encoded (MJPEG has no delay): the time to the next
  auto drain = [&](AVCodecContext* c, AVStream* s) {
    while (avcodec_receive_packet(c, pkt) == 0) {
      if (c == vc) pkt->duration = frame_duration;  // else a QuickTime reader cuts the last frame
      av_packet_rescale_ts(pkt, c->time_base, s->time_base);
      pkt->stream_index = s->index;
      av_interleaved_write_frame(out, pkt);
    }
  };
  AVFrame* f = av_frame_alloc();
  f->format = vc->pix_fmt;
  f->width = w;
  f->height = h;
  av_frame_get_buffer(f, 0);
  double end = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    av_frame_make_writable(f);
    const Image& im = frames[i];
    for (int y = 0; y < h; ++y) {
      for (int xx = 0; xx < w; ++xx) {
        // The stored picture turned by -rotation: stored (xx, y) shows the frame's (sx, sy).
        int sx = xx, sy = y;
        if (x.rotation == 90) { sx = h - 1 - y; sy = xx; }
        if (x.rotation == 180) { sx = w - 1 - xx; sy = h - 1 - y; }
        if (x.rotation == 270) { sx = y; sy = w - 1 - xx; }
        const std::uint8_t* p = im.bytes.data() + (static_cast<size_t>(sy) * im.width + sx) * 3;
        const double r = p[0], g = p[1], b = p[2];
        f->data[0][y * f->linesize[0] + xx] = static_cast<std::uint8_t>(std::lround(std::clamp(0.299 * r + 0.587 * g + 0.114 * b, 0.0, 255.0)));
        f->data[1][y * f->linesize[1] + xx] = static_cast<std::uint8_t>(std::lround(std::clamp(128 - 0.168736 * r - 0.331264 * g + 0.5 * b, 0.0, 255.0)));
        f->data[2][y * f->linesize[2] + xx] = static_cast<std::uint8_t>(std::lround(std::clamp(128 + 0.5 * r - 0.418688 * g - 0.081312 * b, 0.0, 255.0)));
      }
    }
    const double t = x.seconds.empty() ? i / 25.0 : x.seconds[i];
    f->pts = std::llround(t * 90000);
    end = x.seconds.empty() ? (i + 1) / 25.0 : (i + 1 < x.seconds.size() ? x.seconds[i + 1] : t + 0.04);
    frame_duration = std::llround(end * 90000) - f->pts;
    avcodec_send_frame(vc, f);
    drain(vc, vs);
  }
  avcodec_send_frame(vc, nullptr);
  drain(vc, vs);
  if (ac) {
    AVFrame* a = av_frame_alloc();
    a->format = ac->sample_fmt;
    const int block = ac->frame_size > 0 ? ac->frame_size : 1024;  // PCM takes any
    a->nb_samples = block;
    av_channel_layout_copy(&a->ch_layout, &ac->ch_layout);
    a->sample_rate = 48000;
    av_frame_get_buffer(a, 0);
    for (int64_t n = 0; n < std::llround(end * 48000); n += block) {
      av_frame_make_writable(a);
      for (int k = 0; k < block; ++k) {
        const double v = 0.3 * std::sin(2 * M_PI * 440.0 * static_cast<double>(n + k) / 48000.0);
        if (x.pcm) reinterpret_cast<int16_t*>(a->data[0])[k] = static_cast<int16_t>(std::lround(v * 32767));
        else reinterpret_cast<float*>(a->data[0])[k] = static_cast<float>(v);
      }
      a->pts = n;
      avcodec_send_frame(ac, a);
      drain(ac, as);
    }
    avcodec_send_frame(ac, nullptr);
    drain(ac, as);
    av_frame_free(&a);
    avcodec_free_context(&ac);
  }
  av_write_trailer(out);
  av_frame_free(&f);
  av_packet_free(&pkt);
  avcodec_free_context(&vc);
  avio_closep(&out->pb);
  avformat_free_context(out);
  return {};
}

// What a clip holds: its video frames' times (seconds, in order), its sound stream's codec and
// packet count, and the rotation its video declares (degrees clockwise).
struct AvClipInfo {
  std::vector<double> seconds;
  std::string sound_codec;  // empty: no sound
  int sound_packets = 0;
  double sound_seconds = 0;
  int rotation = 0;
};
inline AvClipInfo read_av_clip(const std::string& path) {
  AvClipInfo info;
  AVFormatContext* in = nullptr;
  if (avformat_open_input(&in, path.c_str(), nullptr, nullptr) < 0) return info;
  avformat_find_stream_info(in, nullptr);
  const int v = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  const int a = av_find_best_stream(in, AVMEDIA_TYPE_AUDIO, -1, v, nullptr, 0);
  if (v >= 0) {
    const auto* m = reinterpret_cast<const int32_t*>(av_stream_get_side_data(in->streams[v], AV_PKT_DATA_DISPLAYMATRIX, nullptr));
    if (m) info.rotation = static_cast<int>(std::lround(-av_display_rotation_get(m) + 360)) % 360;
  }
  if (a >= 0) info.sound_codec = avcodec_get_name(in->streams[a]->codecpar->codec_id);
  AVPacket* pkt = av_packet_alloc();
  while (av_read_frame(in, pkt) >= 0) {
    if (pkt->stream_index == v && pkt->pts != AV_NOPTS_VALUE) info.seconds.push_back(pkt->pts * av_q2d(in->streams[v]->time_base));
    if (pkt->stream_index == a) {
      ++info.sound_packets;
      info.sound_seconds += pkt->duration * av_q2d(in->streams[a]->time_base);
    }
    av_packet_unref(pkt);
  }
  std::sort(info.seconds.begin(), info.seconds.end());
  av_packet_free(&pkt);
  avformat_close_input(&in);
  return info;
}

}  // namespace glowlab::test
