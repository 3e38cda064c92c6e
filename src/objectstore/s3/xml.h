// A small XML reader and writer for S3's request and response documents:
// elements, text, CDATA, the predefined and numeric character entities.
// Attributes, namespaces, processing instructions, comments and DOCTYPEs are
// read past and ignored, which is all S3 documents need. All functions are
// pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kafscale::s3 {

struct XmlElement {
  std::string name;  // as written, including any "prefix:"
  std::string text;  // the element's own character data, entities decoded, untrimmed
  std::vector<XmlElement> children;

  // The first child named `name`, or nullptr.
  const XmlElement* Child(std::string_view name) const;
  // The text of the first child named `name`, or "" when there is none.
  std::string ChildText(std::string_view name) const;
};

// Parses a whole document and returns its root element.
// Errors: IOError naming what is malformed (S3 sent something unreadable),
// including nesting deeper than 64 elements.
Result<XmlElement> ParseXml(std::string_view document);

// Whether XML 1.0 can carry `text`: it cannot hold control characters
// other than tab, line feed and carriage return, not even as entities.
bool XmlCanCarry(std::string_view text);

// `text` with & < > " ' and tab, line feed and carriage return written as
// entities (so parsers keep them as they are), for element content. `text`
// must satisfy XmlCanCarry.
std::string XmlEscape(std::string_view text);

}  // namespace kafscale::s3
