#include "import/torch_pickle.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <variant>
#include <vector>

#include <caffe2/serialize/inline_container.h>

#include "core/error.h"

namespace glowlab {
namespace {

struct Value;
using ValuePtr = std::shared_ptr<Value>;

// A Python value as far as torch.save's pickles need: enough to find the tensors.
struct Value {
  enum class Kind { None, Bool, Int, Float, String, Tensor, List, Tuple, Dict, Global, Opaque, Mark };
  Kind kind = Kind::None;
  bool b = false;
  int64_t i = 0;
  double f = 0.0;
  std::string s;                                    // String; Global: "module.name"
  at::Tensor tensor;                                // Tensor; a storage (from a persistent id) too
  std::vector<ValuePtr> items;                      // List, Tuple
  std::vector<std::pair<ValuePtr, ValuePtr>> dict;  // Dict, in order
};

class Unpickler {
 public:
  Unpickler(const std::string& path, const char* data, size_t size, caffe2::serialize::PyTorchStreamReader& reader)
      : path_(path), p_(data), end_(data + size), reader_(reader) {}
  // A pickle can make a container hold itself (DUP or the memo, then APPEND or SETITEM): emptying
  // every container it made breaks such cycles, which shared pointers alone would leak.
  ~Unpickler() {
    for (auto& v : made_) {
      v->items.clear();
      v->dict.clear();
    }
  }
  Unpickler(const Unpickler&) = delete;
  Unpickler& operator=(const Unpickler&) = delete;

  // Runs the pickle to its STOP: the saved object. One family of opcodes per function below.
  ValuePtr run() {
    while (true) {
      const auto op = static_cast<unsigned char>(byte());
      if (op == '.') {  // STOP
        if (stack_.empty()) bad("empty stack at STOP");
        return stack_.back();
      }
      if (!control(op) && !container(op) && !scalar(op) && !object(op)) unsupported(op);
    }
  }

 private:
  // Framing, the memo and the stack itself; false: not one of these opcodes.
  bool control(unsigned char op) {
    switch (op) {
      case 0x80: byte(); return true;                                  // PROTO
      case 0x95: take(8); return true;                                 // FRAME
      case 'q': memo(static_cast<unsigned char>(byte())); return true;  // BINPUT
      case 'r': memo(u32()); return true;                              // LONG_BINPUT
      case 0x94: memo(memo_.size()); return true;                       // MEMOIZE
      case 'h': push(recall(static_cast<unsigned char>(byte()))); return true;  // BINGET
      case 'j': push(recall(u32())); return true;                      // LONG_BINGET
      case '(': push(make(Value::Kind::Mark)); return true;            // MARK
      case '0': pop(); return true;                                    // POP
      case '1': pop_to_mark(); return true;                            // POP_MARK
      case '2': push(stack_.empty() ? bad_value("DUP on an empty stack") : stack_.back()); return true;
      default: return false;
    }
  }

  // Tuples, lists and dicts; false: not one of these opcodes.
  bool container(unsigned char op) {
    switch (op) {
      case ')': push(make(Value::Kind::Tuple)); return true;           // EMPTY_TUPLE
      case 0x85: case 0x86: case 0x87: {                               // TUPLE1..3
        auto t = make(Value::Kind::Tuple);
        t->items.resize(op - 0x84);
        for (size_t k = t->items.size(); k-- > 0;) t->items[k] = pop();
        push(t);
        return true;
      }
      case 't': { auto t = make(Value::Kind::Tuple); t->items = pop_to_mark(); push(t); return true; }  // TUPLE
      case ']': push(make(Value::Kind::List)); return true;            // EMPTY_LIST
      case 'l': { auto l = make(Value::Kind::List); l->items = pop_to_mark(); push(l); return true; }   // LIST
      case 'a': { auto v = pop(); top(Value::Kind::List)->items.push_back(v); return true; }             // APPEND
      case 'e': {                                                      // APPENDS
        auto vs = pop_to_mark();
        auto l = top(Value::Kind::List);
        l->items.insert(l->items.end(), vs.begin(), vs.end());
        return true;
      }
      case '}': push(make(Value::Kind::Dict)); return true;            // EMPTY_DICT
      case 'd': {                                                      // DICT
        auto vs = pop_to_mark();
        auto d = make(Value::Kind::Dict);
        for (size_t k = 0; k + 1 < vs.size(); k += 2) d->dict.emplace_back(vs[k], vs[k + 1]);
        push(d);
        return true;
      }
      case 's': {                                                      // SETITEM
        auto v = pop(), k = pop();
        top(Value::Kind::Dict)->dict.emplace_back(k, v);
        return true;
      }
      case 'u': {                                                      // SETITEMS
        auto vs = pop_to_mark();
        auto d = top(Value::Kind::Dict);
        for (size_t k = 0; k + 1 < vs.size(); k += 2) d->dict.emplace_back(vs[k], vs[k + 1]);
        return true;
      }
      default: return false;
    }
  }

  // None, booleans, integers, floats and strings; false: not one of these opcodes.
  bool scalar(unsigned char op) {
    switch (op) {
      case 'N': push(make(Value::Kind::None)); return true;
      case 0x88: case 0x89: { auto v = make(Value::Kind::Bool); v->b = op == 0x88; push(v); return true; }
      case 'J': { auto v = make(Value::Kind::Int); v->i = static_cast<int32_t>(u32()); push(v); return true; }
      case 'K': { auto v = make(Value::Kind::Int); v->i = static_cast<unsigned char>(byte()); push(v); return true; }
      case 'M': { auto v = make(Value::Kind::Int); v->i = u16(); push(v); return true; }
      case 0x8a: case 0x8b: {                                          // LONG1, LONG4
        const size_t n = op == 0x8a ? static_cast<unsigned char>(byte()) : u32();
        const char* d = take(n);
        if (n > 8) bad("an integer wider than 64 bits");
        uint64_t u = 0;
        for (size_t k = 0; k < n; ++k) u |= static_cast<uint64_t>(static_cast<unsigned char>(d[k])) << (8 * k);
        if (n > 0 && n < 8 && (static_cast<unsigned char>(d[n - 1]) & 0x80)) u |= ~uint64_t{0} << (8 * n);
        auto v = make(Value::Kind::Int);
        v->i = static_cast<int64_t>(u);
        push(v);
        return true;
      }
      case 'G': {                                                      // BINFLOAT, big-endian
        const char* d = take(8);
        uint64_t u = 0;
        for (int k = 0; k < 8; ++k) u = (u << 8) | static_cast<unsigned char>(d[k]);
        auto v = make(Value::Kind::Float);
        std::memcpy(&v->f, &u, 8);
        push(v);
        return true;
      }
      case 'X': case 'T': case 'B': string(u32()); return true;       // BINUNICODE, BINSTRING, BINBYTES
      case 0x8c: case 'U': case 'C': string(static_cast<unsigned char>(byte())); return true;
      case 0x8d: case 0x8e: {                                          // BINUNICODE8, BINBYTES8
        const uint64_t lo = u32(), hi = u32();
        string(static_cast<size_t>(lo | (hi << 32)));
        return true;
      }
      default: return false;
    }
  }

  // Globals, storages and the calls that build objects from them; false: not one of these opcodes.
  bool object(unsigned char op) {
    switch (op) {
      case 'c': {                                                      // GLOBAL
        auto g = make(Value::Kind::Global);
        const auto module = line();
        g->s = module + "." + line();
        push(g);
        return true;
      }
      case 0x93: {                                                     // STACK_GLOBAL
        auto name = pop(), module = pop();
        auto g = make(Value::Kind::Global);
        g->s = module->s + "." + name->s;
        push(g);
        return true;
      }
      case 'Q': push(persistent(pop())); return true;                  // BINPERSID
      case 'R': {                                                      // REDUCE
        auto args = pop(), fn = pop();
        push(reduce(fn, args));
        return true;
      }
      case 0x81: {                                                     // NEWOBJ
        auto args = pop(), cls = pop();
        push(reduce(cls, args));
        return true;
      }
      case 'b': pop(); return true;  // BUILD: the state (an OrderedDict's _metadata) is not needed
      default: return false;
    }
  }

  [[noreturn]] void unsupported(unsigned char op) const {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", op);
    bad(std::string("unsupported pickle opcode ") + hex);
  }

  [[noreturn]] void bad(const std::string& what) const {
    throw Error(ErrorKind::Format, path_ + ": cannot read its data.pkl (" + what + ")");
  }
  ValuePtr bad_value(const std::string& what) const { bad(what); }
  const char* take(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) bad("truncated");
    const char* at = p_;
    p_ += n;
    return at;
  }
  char byte() { return *take(1); }
  uint32_t u32() {
    const auto* d = reinterpret_cast<const unsigned char*>(take(4));
    return d[0] | (d[1] << 8) | (d[2] << 16) | (static_cast<uint32_t>(d[3]) << 24);
  }
  uint32_t u16() {
    const auto* d = reinterpret_cast<const unsigned char*>(take(2));
    return d[0] | (d[1] << 8);
  }
  std::string line() {
    const char* start = p_;
    while (p_ < end_ && *p_ != '\n') ++p_;
    if (p_ == end_) bad("truncated");
    std::string s(start, p_);
    ++p_;
    return s;
  }
  void string(size_t n) {
    auto v = make(Value::Kind::String);
    const char* d = take(n);
    v->s.assign(d, n);
    push(v);
  }
  void push(ValuePtr v) { stack_.push_back(std::move(v)); }
  ValuePtr pop() {
    if (stack_.empty()) bad("stack underflow");
    auto v = stack_.back();
    stack_.pop_back();
    return v;
  }
  ValuePtr top(Value::Kind k) {
    if (stack_.empty() || stack_.back()->kind != k) bad("unexpected value on the stack");
    return stack_.back();
  }
  std::vector<ValuePtr> pop_to_mark() {
    std::vector<ValuePtr> out;
    while (true) {
      auto v = pop();
      if (v->kind == Value::Kind::Mark) break;
      out.push_back(v);
    }
    return {out.rbegin(), out.rend()};
  }
  void memo(size_t index) {
    if (stack_.empty()) bad("PUT on an empty stack");
    memo_[index] = stack_.back();
  }
  ValuePtr recall(size_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) bad("GET of an unknown memo entry");
    return it->second;
  }

  static at::ScalarType storage_dtype(const std::string& global) {
    static const std::pair<const char*, at::ScalarType> kTypes[] = {
        {"torch.FloatStorage", at::kFloat}, {"torch.DoubleStorage", at::kDouble}, {"torch.HalfStorage", at::kHalf},
        {"torch.BFloat16Storage", at::kBFloat16}, {"torch.LongStorage", at::kLong}, {"torch.IntStorage", at::kInt},
        {"torch.ShortStorage", at::kShort}, {"torch.CharStorage", at::kChar}, {"torch.ByteStorage", at::kByte},
        {"torch.BoolStorage", at::kBool}};
    for (const auto& [name, type] : kTypes) {
      if (global == name) return type;
    }
    return at::ScalarType::Undefined;
  }

  // ("storage", torch.XStorage, key, location, numel): the record data/<key>, read onto the CPU
  // whatever the saved location (a checkpoint saved from a GPU reads the same).
  ValuePtr persistent(const ValuePtr& pid) {
    if (pid->kind != Value::Kind::Tuple || pid->items.size() < 3 || pid->items[0]->s != "storage") {
      bad("a persistent id that is not a storage");
    }
    const auto type = storage_dtype(pid->items[1]->s);
    if (type == at::ScalarType::Undefined) bad("unsupported storage type " + pid->items[1]->s);
    const std::string key = pid->items[2]->s;
    auto it = storages_.find(key);
    if (it == storages_.end()) {
      const std::string record = "data/" + key;
      if (!reader_.hasRecord(record)) bad("no record " + record);
      auto [data, size] = reader_.getRecord(record);
      const auto item = static_cast<size_t>(c10::elementSize(type));
      auto t = at::empty({static_cast<int64_t>(size / item)}, at::TensorOptions().dtype(type));
      if (size) std::memcpy(t.data_ptr(), data.get(), size / item * item);
      it = storages_.emplace(key, t).first;
    }
    auto v = make(Value::Kind::Tensor);
    v->tensor = it->second;
    return v;
  }

  std::vector<int64_t> ints(const ValuePtr& v, const char* what) {
    if (v->kind != Value::Kind::Tuple && v->kind != Value::Kind::List) bad(std::string("a tensor's ") + what + " is not a tuple");
    std::vector<int64_t> out;
    for (const auto& x : v->items) {
      if (x->kind != Value::Kind::Int) bad(std::string("a tensor's ") + what + " is not integers");
      out.push_back(x->i);
    }
    return out;
  }

  ValuePtr reduce(const ValuePtr& fn, const ValuePtr& args) {
    if (fn->kind != Value::Kind::Global) return make(Value::Kind::Opaque);
    if (fn->s == "collections.OrderedDict") return make(Value::Kind::Dict);
    if (fn->s == "torch._utils._rebuild_tensor_v2" || fn->s == "torch._utils._rebuild_tensor") {
      if (args->kind != Value::Kind::Tuple || args->items.size() < 4 || args->items[0]->kind != Value::Kind::Tensor ||
          args->items[1]->kind != Value::Kind::Int) {
        bad("malformed _rebuild_tensor_v2 arguments");
      }
      const auto& storage = args->items[0]->tensor;
      const int64_t offset = args->items[1]->i;
      const auto size = ints(args->items[2], "size");
      const auto stride = ints(args->items[3], "stride");
      if (size.size() != stride.size()) bad("a tensor's size and stride differ in length");
      int64_t last = offset;
      bool empty = false;
      for (size_t k = 0; k < size.size(); ++k) {
        if (size[k] < 0 || stride[k] < 0) bad("a negative tensor size or stride");
        if (size[k] == 0) empty = true;
      }
      for (size_t k = 0; k < size.size() && !empty; ++k) {
        // Each factor at most the storage's size, so the sum cannot overflow before the check.
        if (size[k] > 1 && (size[k] > storage.numel() || stride[k] > storage.numel())) {
          bad("a tensor reaches outside its storage");
        }
        last += (size[k] - 1) * stride[k];
      }
      auto v = make(Value::Kind::Tensor);
      if (empty) {
        v->tensor = at::empty(size, storage.options());
      } else {
        if (offset < 0 || last >= storage.numel()) bad("a tensor reaches outside its storage");
        v->tensor = storage.as_strided(size, stride, offset).clone(at::MemoryFormat::Contiguous);
      }
      return v;
    }
    if (fn->s == "torch._utils._rebuild_parameter" && args->kind == Value::Kind::Tuple && !args->items.empty()) {
      return args->items[0];
    }
    return make(Value::Kind::Opaque);
  }

  ValuePtr make(Value::Kind k) {
    auto v = std::make_shared<Value>();
    v->kind = k;
    made_.push_back(v);
    return v;
  }

  std::string path_;
  const char* p_;
  const char* end_;
  caffe2::serialize::PyTorchStreamReader& reader_;
  std::vector<ValuePtr> stack_;
  std::map<size_t, ValuePtr> memo_;
  std::map<std::string, at::Tensor> storages_;
  std::vector<ValuePtr> made_;  // every value, for the destructor
};

// At most this many values are visited: an object shared at every level (or holding itself) has
// exponentially many paths, which a hand-made pickle could use to never finish.
constexpr int64_t kMaxVisits = 1 << 20;

void collect(const ValuePtr& v, const std::string& prefix, std::map<std::string, at::Tensor>& out, int depth,
             int64_t& visits, const std::string& path) {
  if (depth > 64) return;
  if (++visits > kMaxVisits) {
    throw Error(ErrorKind::Format, path + ": its saved object has more than " + std::to_string(kMaxVisits) +
                                       " paths to values (an object shared at every level, or holding itself)");
  }
  const auto join = [&](const std::string& key) { return prefix.empty() ? key : prefix + "." + key; };
  switch (v->kind) {
    case Value::Kind::Tensor: out[prefix] = v->tensor; break;
    case Value::Kind::Dict:
      for (const auto& [k, x] : v->dict) {
        if (k->kind == Value::Kind::String) collect(x, join(k->s), out, depth + 1, visits, path);
        else if (k->kind == Value::Kind::Int) collect(x, join(std::to_string(k->i)), out, depth + 1, visits, path);
      }
      break;
    case Value::Kind::List:
    case Value::Kind::Tuple:
      for (size_t k = 0; k < v->items.size(); ++k) collect(v->items[k], join(std::to_string(k)), out, depth + 1, visits, path);
      break;
    default: break;
  }
}

}  // namespace

void check_torch_file(const std::string& path) {
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorKind::Io, path + ": cannot open the file");
    char magic[4] = {};
    in.read(magic, 4);
    if (in.gcount() < 4 || std::memcmp(magic, "PK\x03\x04", 4) != 0) {
      if (in.gcount() >= 1 && static_cast<unsigned char>(magic[0]) == 0x80) {
        throw Error(ErrorKind::Format,
                    path + ": is a legacy torch.save file (the pre-1.6 pickle format), which GlowLab cannot read; re-save "
                           "it in PyTorch 1.6 or newer: torch.save(torch.load(\"" + path + "\", map_location=\"cpu\"), \"new.pt\")");
      }
      throw Error(ErrorKind::Format, path + ": is not a torch.save file (no zip container)");
    }
  }
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    if (!reader.hasRecord("data.pkl")) {
      throw Error(ErrorKind::Format, path + ": is a zip without data.pkl (a TorchScript module or another archive, not torch.save)");
    }
  } catch (const c10::Error& e) {
    throw Error(ErrorKind::Format, path + ": cannot read the torch.save archive: " + e.what_without_backtrace());
  }
}

std::map<std::string, at::Tensor> read_torch_tensors(const std::string& path) {
  check_torch_file(path);
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    auto [data, size] = reader.getRecord("data.pkl");
    Unpickler unpickler(path, static_cast<const char*>(data.get()), size, reader);
    std::map<std::string, at::Tensor> out;
    int64_t visits = 0;
    collect(unpickler.run(), "", out, 0, visits, path);
    return out;
  } catch (const c10::Error& e) {
    throw Error(ErrorKind::Format, path + ": cannot read the torch.save archive: " + e.what_without_backtrace());
  }
}

}  // namespace glowlab
