// The image files a user gives: a phone's EXIF orientation, PNG colour chunks libpng complains
// about, and files whose header declares a huge image (read before any pixel), through the engine
// and through glowlab-cli (split from test_cli).
#include <QtTest/QtTest>

#include "core/atomic_file.h"
#include "glowlab.h"
#include "run_program.h"
#include "testutil.h"

using namespace glowlab;

class TestImageFiles : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

  QString path(const QString& name) const { return dir_.path() + "/" + name; }
  // The bundled small model: the CLI's reconstruct reads each file as a photo for it.
  static QString model() { return QString(GLOWLAB_SOURCE_DIR) + "/resources/models/faces64.glow"; }
  static test::Run run(const QStringList& args) { return test::cli(args, QProcessEnvironment::systemEnvironment()); }

 private Q_SLOTS:
  void initTestCase() { QVERIFY(dir_.isValid()); }

  // A phone's JPEG stores the sensor's pixels and an EXIF orientation: 6 (turn 90 degrees clockwise
  // to view) and 8 (anticlockwise) come out upright, whichever way they were stored.
  void exifOrientationComesOutUpright() {
    Image im{40, 20, 3, std::vector<std::uint8_t>(40 * 20 * 3, 0)};
    for (int y = 0; y < 20; ++y) {
      for (int x = 0; x < 20; ++x) im.bytes[(static_cast<size_t>(y) * 40 + x) * 3] = 255;  // left half red
    }
    const std::string jpeg = encode_image(im, ".jpg", "x");
    auto with_orientation = [&](int orientation) {
      // APP1 "Exif": a little-endian TIFF header and one IFD entry, Orientation (0x0112, SHORT).
      const unsigned char app1[] = {0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 0x2A, 0, 8, 0, 0, 0,
                                    1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, static_cast<unsigned char>(orientation), 0, 0, 0,
                                    0, 0, 0, 0};
      return jpeg.substr(0, 2) + std::string(reinterpret_cast<const char*>(app1), sizeof app1) + jpeg.substr(2);
    };
    for (int orientation : {6, 8}) {
      const QString file = path(QString("exif%1.jpg").arg(orientation));
      write_file_atomic(file.toStdString(), with_orientation(orientation));
      const auto up = read_image(file.toStdString(), 3);
      QCOMPARE(up.width, 20);
      QCOMPARE(up.height, 40);
      const auto red = [&](int x, int y) { return up.bytes[(static_cast<size_t>(y) * up.width + x) * 3] > 128; };
      // 6: the stored left half is the top once turned clockwise; 8: it is the bottom.
      QCOMPARE(red(10, 5), orientation == 6);
      QCOMPARE(red(10, 34), orientation == 8);
    }
  }

  // Issue 29 (18): a PNG whose colour chunks libpng complains about (skimage's astronaut carries an
  // iCCP profile it calls "known incorrect") decodes to the same pixels with nothing on the terminal.
  void libraryWarningsStayOffTheTerminal() {
    const auto im = test::random_image(16, 3, 7);
    const std::string plain = encode_image(im, ".png", "x");
    // After IHDR (8 + 25 bytes): an iCCP chunk whose CRC does not match, which libpng warns about.
    std::string chunk("\0\0\0\x08iCCPbad\0\x01\x02\x03\x04\xde\xad\xbe\xef", 20);
    std::string noisy = plain;
    noisy.insert(33, chunk);
    QCOMPARE(without_png_colour_chunks(noisy), plain);
    QCOMPARE(without_png_colour_chunks("not a png"), std::string("not a png"));
    QCOMPARE(without_png_colour_chunks(noisy.substr(0, 40)), noisy.substr(0, 40));  // cut short: left to the decoder
    write_file_atomic(path("noisy.png").toStdString(), noisy);
    QVERIFY(read_image(path("noisy.png").toStdString(), 3).bytes == im.bytes);
    auto r = run({"reconstruct", "-m", model(), path("noisy.png")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(!r.err.contains("libpng"), qPrintable(r.err));
  }

  // The header is read before any pixel: each format's parser gives the encoder's true size, and a
  // file declaring a huge image is refused at once, with a message a person can act on.
  void pixelBombsAreRefusedFromTheHeader() {
    const auto im = test::random_image(40, 3, 1);
    for (const char* ext : {".png", ".jpg", ".webp", ".bmp", ".ppm"}) {
      const auto bytes = encode_image(im, ext, "x");
      long long w = 0, h = 0;
      QVERIFY2(image_dimensions(bytes, w, h), ext);
      QVERIFY2(w == 40 && h == 40, qPrintable(QString("%1: %2 x %3").arg(ext).arg(w).arg(h)));
    }
    // A 1 KB PNG that declares 20000 x 20000 pixels (its data is junk; it is never decoded).
    std::string png("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
    for (unsigned v : {20000u, 20000u}) {
      for (int shift : {24, 16, 8, 0}) png.push_back(static_cast<char>((v >> shift) & 0xff));
    }
    png += std::string(1000, '\x42');
    const QString bomb = path("bomb.png");
    write_file_atomic(bomb.toStdString(), png);
    try {
      read_image(bomb.toStdString(), 3);
      QFAIL("accepted");
    } catch (const Error& e) {
      QCOMPARE(QString(e.what()), bomb + " is 20000 x 20000 pixels; the limit is 50 megapixels");
    }
    auto r = run({"reconstruct", "-m", model(), bomb, "-o", path("never.png")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("is 20000 x 20000 pixels; the limit is 50 megapixels"), qPrintable(r.err));
    // JPEG: a start-of-frame for 60000 x 60000 after an APP0 segment.
    std::string jpg("\xff\xd8\xff\xe0\x00\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xc0\x00\x11\x08\xea\x60\xea\x60\x03", 31);
    jpg += std::string(200, '\0');
    write_file_atomic(path("bomb.jpg").toStdString(), jpg);
    QVERIFY_THROWS_EXCEPTION(Error, read_image(path("bomb.jpg").toStdString(), 3));
    long long w = 0, h = 0;
    QVERIFY(image_dimensions(jpg, w, h) && w == 60000 && h == 60000);
    write_file_atomic(path("text.png").toStdString(), "hello");
    try {
      read_image(path("text.png").toStdString(), 3);
      QFAIL("accepted");
    } catch (const Error& e) {
      QVERIFY2(QString(e.what()).contains("text.png is not a PNG, JPEG, WebP, BMP or PPM/PGM image"), e.what());
    }
  }
};

QTEST_GUILESS_MAIN(TestImageFiles)
#include "test_image_files.moc"
