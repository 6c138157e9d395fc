// Escaping for the HTML pages quantlab writes (the debugger's charts, the
// study report): every name and message that reaches a page goes through
// one of these.
#pragma once

#include <string>
#include <string_view>

namespace quantlab {

// Text for element content and quoted attribute values: & < > " ' become
// entities.
std::string html_escape(std::string_view text);

// Text inside a <script> element must not close it: "</" becomes "<\/",
// which reads the same inside JavaScript strings and JSON. A tensor named
// "</script>" therefore stays data.
std::string script_safe(std::string_view text);

// A <script> element inlining a library: a leading comment with its name,
// version and license text (kept intact but unable to end the comment),
// then its source.
std::string library_script(std::string_view name, std::string_view version, std::string_view license,
                           std::string_view source);

}  // namespace quantlab
