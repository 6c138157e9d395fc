#include "quantlab/report/html.h"

namespace quantlab {
namespace {

// Text inside a /* */ comment must not end it early.
std::string comment_safe(std::string text) {
  for (size_t at = text.find("*/"); at != std::string::npos; at = text.find("*/", at)) text.replace(at, 2, "* /");
  return text;
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string script_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') out += '\\';
  }
  return out;
}

std::string library_script(std::string_view name, std::string_view version, std::string_view license,
                           std::string_view source) {
  return "<script>\n/* " + std::string(name) + " " + std::string(version) + "\n" +
         comment_safe(script_safe(license)) + "*/\n" + script_safe(source) + "\n</script>\n";
}

}  // namespace quantlab
