#pragma once
/// SHA-256 (FIPS 180-4) and base64 (RFC 4648): the HTML report's Content
/// Security Policy allows its inline script and style by their hashes, so
/// nothing else inline can run.
#include <array>
#include <string>
#include <string_view>

namespace flopscope {

using Sha256Digest = std::array<unsigned char, 32>;

/// The SHA-256 digest of `data`'s bytes.
Sha256Digest sha256(std::string_view data);

/// `bytes` in base64 with '=' padding (the standard alphabet, no line breaks).
std::string base64(std::string_view bytes);

}  // namespace flopscope
