#include "objectstore/s3/xml.h"

#include <cctype>
#include <charconv>

namespace kafscale::s3 {

namespace {

constexpr int kMaxDepth = 64;

bool IsNameChar(char c) {
  return c != '>' && c != '/' && c != '=' && c != ' ' && c != '\t' && c != '\r' && c != '\n';
}

void AppendUtf8(uint32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    *out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    *out += static_cast<char>(0xC0 | (code_point >> 6));
    *out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    *out += static_cast<char>(0xE0 | (code_point >> 12));
    *out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (code_point >> 18));
    *out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

class Parser {
 public:
  explicit Parser(std::string_view document) : doc_(document) {}

  Result<XmlElement> ParseDocument() {
    if (Status s = SkipMarkup(); !s.ok()) return s;
    if (!LookingAt("<")) return Error("no root element");
    XmlElement root;
    if (Status s = ParseElement(&root, 0); !s.ok()) return s;
    if (Status s = SkipMarkup(); !s.ok()) return s;
    if (pos_ != doc_.size()) return Error("content after the root element");
    return root;
  }

 private:
  Status Error(std::string_view what) const {
    return Status::IOError("malformed XML from S3 (" + std::string(what) + " at byte " + std::to_string(pos_) + ")");
  }

  bool LookingAt(std::string_view text) const { return doc_.substr(pos_).starts_with(text); }

  void SkipSpaces() {
    while (pos_ < doc_.size() && std::isspace(static_cast<unsigned char>(doc_[pos_]))) ++pos_;
  }

  // Moves past `terminator`, which must follow.
  Status SkipPast(std::string_view terminator) {
    size_t end = doc_.find(terminator, pos_);
    if (end == std::string_view::npos) return Error("missing \"" + std::string(terminator) + "\"");
    pos_ = end + terminator.size();
    return Status::OK();
  }

  // Skips whitespace, the XML declaration, comments and DOCTYPEs between
  // top-level items.
  Status SkipMarkup() {
    while (true) {
      SkipSpaces();
      Status s;
      if (LookingAt("<?")) {
        s = SkipPast("?>");
      } else if (LookingAt("<!--")) {
        s = SkipPast("-->");
      } else if (LookingAt("<!")) {
        s = SkipPast(">");
      } else {
        return Status::OK();
      }
      if (!s.ok()) return s;
    }
  }

  // At '<' of a start tag: reads the element and everything inside it.
  Status ParseElement(XmlElement* element, int depth) {
    if (depth >= kMaxDepth) return Error("elements nested too deeply");
    ++pos_;
    size_t name_start = pos_;
    while (pos_ < doc_.size() && IsNameChar(doc_[pos_])) ++pos_;
    element->name = doc_.substr(name_start, pos_ - name_start);
    if (element->name.empty()) return Error("empty element name");
    if (Status s = SkipAttributes(); !s.ok()) return s;
    if (LookingAt("/>")) {
      pos_ += 2;
      return Status::OK();
    }
    ++pos_;  // '>'
    while (true) {
      if (pos_ >= doc_.size()) return Error("unclosed element <" + element->name + ">");
      if (LookingAt("</")) {
        pos_ += 2;
        if (!LookingAt(element->name)) return Error("mismatched end tag for <" + element->name + ">");
        pos_ += element->name.size();
        SkipSpaces();
        if (!LookingAt(">")) return Error("mismatched end tag for <" + element->name + ">");
        ++pos_;
        return Status::OK();
      }
      Status s;
      if (LookingAt("<![CDATA[")) {
        size_t start = pos_ + 9;
        s = SkipPast("]]>");
        if (s.ok()) element->text.append(doc_.substr(start, pos_ - 3 - start));
      } else if (LookingAt("<!--")) {
        s = SkipPast("-->");
      } else if (LookingAt("<?")) {
        s = SkipPast("?>");
      } else if (LookingAt("<")) {
        element->children.emplace_back();
        s = ParseElement(&element->children.back(), depth + 1);
      } else {
        s = ParseText(&element->text);
      }
      if (!s.ok()) return s;
    }
  }

  // After the name of a start tag: skips attributes (quoted values may hold
  // '>' and '/'), stopping at "/>" or '>'.
  Status SkipAttributes() {
    while (pos_ < doc_.size()) {
      char c = doc_[pos_];
      if (c == '>' || LookingAt("/>")) return Status::OK();
      if (c == '"' || c == '\'') {
        size_t end = doc_.find(c, pos_ + 1);
        if (end == std::string_view::npos) return Error("unterminated attribute value");
        pos_ = end + 1;
      } else {
        ++pos_;
      }
    }
    return Error("unterminated start tag");
  }

  // Character data up to the next '<', entities decoded.
  Status ParseText(std::string* out) {
    while (pos_ < doc_.size() && doc_[pos_] != '<') {
      if (doc_[pos_] != '&') {
        *out += doc_[pos_++];
        continue;
      }
      size_t end = doc_.find(';', pos_);
      if (end == std::string_view::npos || end - pos_ > 12) return Error("unterminated entity");
      std::string_view entity = doc_.substr(pos_ + 1, end - pos_ - 1);
      if (Status s = DecodeEntity(entity, out); !s.ok()) return s;
      pos_ = end + 1;
    }
    return Status::OK();
  }

  Status DecodeEntity(std::string_view entity, std::string* out) const {
    if (entity == "lt") *out += '<';
    else if (entity == "gt") *out += '>';
    else if (entity == "amp") *out += '&';
    else if (entity == "quot") *out += '"';
    else if (entity == "apos") *out += '\'';
    else if (entity.starts_with('#')) {
      bool hex = entity.size() > 1 && (entity[1] == 'x' || entity[1] == 'X');
      std::string_view digits = entity.substr(hex ? 2 : 1);
      uint32_t code_point = 0;
      auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), code_point, hex ? 16 : 10);
      if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || code_point > 0x10FFFF) {
        return Error("bad character reference &" + std::string(entity) + ";");
      }
      AppendUtf8(code_point, out);
    } else {
      return Error("unknown entity &" + std::string(entity) + ";");
    }
    return Status::OK();
  }

  std::string_view doc_;
  size_t pos_ = 0;
};

}  // namespace

const XmlElement* XmlElement::Child(std::string_view child_name) const {
  for (const XmlElement& child : children) {
    if (child.name == child_name) return &child;
  }
  return nullptr;
}

std::string XmlElement::ChildText(std::string_view child_name) const {
  const XmlElement* child = Child(child_name);
  return child == nullptr ? std::string() : child->text;
}

Result<XmlElement> ParseXml(std::string_view document) { return Parser(document).ParseDocument(); }

bool XmlCanCarry(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
  }
  return true;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "&#" + std::to_string(static_cast<int>(c)) + ';';
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace kafscale::s3
