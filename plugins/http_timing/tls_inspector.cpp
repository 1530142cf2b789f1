#include "tls_inspector.hpp"

#include <streamswarm/plugin.hpp>

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

namespace streamswarm::http_timing {
namespace {

// ALPN wire format: length-prefixed protocol names.
constexpr unsigned char kAlpnHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

void freeGeneralNames(GENERAL_NAMES* names) {
  GENERAL_NAMES_free(names);
}
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, freeGeneralNames>>;
void freeBignum(BIGNUM* n) {
  BN_free(n);
}
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, freeBignum>>;

std::string nameText(const X509_NAME* name) {
  if (!name) return {};
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

std::string asn1Text(const ASN1_STRING* s) {
  if (!s) return {};
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
}

std::string ipText(const ASN1_OCTET_STRING* ip) {
  char buffer[INET6_ADDRSTRLEN] = {};
  const auto* data = ASN1_STRING_get0_data(ip);
  const int length = ASN1_STRING_length(ip);
  if (length == 4 && inet_ntop(AF_INET, data, buffer, sizeof buffer)) return buffer;
  if (length == 16 && inet_ntop(AF_INET6, data, buffer, sizeof buffer)) return buffer;
  return "(" + std::to_string(length) + "-byte address)";
}

std::vector<std::string> subjectAltNames(X509* cert) {
  std::vector<std::string> out;
  NamesPtr names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    switch (name->type) {
      case GEN_DNS: out.push_back("DNS:" + asn1Text(name->d.dNSName)); break;
      case GEN_IPADD: out.push_back("IP:" + ipText(name->d.iPAddress)); break;
      case GEN_URI: out.push_back("URI:" + asn1Text(name->d.uniformResourceIdentifier)); break;
      case GEN_EMAIL: out.push_back("email:" + asn1Text(name->d.rfc822Name)); break;
      default: break;
    }
  }
  return out;
}

std::optional<SysSeconds> timeOf(const ASN1_TIME* t) {
  if (!t) return std::nullopt;
  return parseAsn1Time(asn1Text(t), ASN1_STRING_type(t) == V_ASN1_GENERALIZEDTIME);
}

std::string serialText(X509* cert) {
  BignumPtr n(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  if (!n) return {};
  char* hex = BN_bn2hex(n.get());
  if (!hex) return {};
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

std::string openSslError() {
  const auto code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  return buffer;
}

}  // namespace

bool VerifyRecorder::record(bool preverified, boost::asio::ssl::verify_context& context) {
  if (!preverified && error_ == X509_V_OK) {
    error_ = X509_STORE_CTX_get_error(context.native_handle());
    depth_ = X509_STORE_CTX_get_error_depth(context.native_handle());
  }
  return true;
}

boost::asio::ssl::context makeClientContext(const std::string& caFile) {
  namespace ssl = boost::asio::ssl;
  ssl::context context(ssl::context::tls_client);
  boost::system::error_code ec;
  if (caFile.empty()) {
    // The hashed certificate directory is read one CA at a time, when a chain needs it; loading
    // the whole bundle file up front would cost every probe host about 1 MiB it rarely uses.
    const char* dirEnv = std::getenv(X509_get_default_cert_dir_env());
    const std::string dir = dirEnv && *dirEnv ? dirEnv : X509_get_default_cert_dir();
    std::error_code fsError;
    if (!std::filesystem::is_directory(dir, fsError) ||
        SSL_CTX_load_verify_dir(context.native_handle(), dir.c_str()) != 1) {
      context.set_default_verify_paths(ec);
      if (ec) throw ConfigError("option 'ca_file': cannot load the system trust store: " + ec.message());
    }
  } else {
    std::error_code fsError;
    if (!std::filesystem::is_regular_file(caFile, fsError))
      throw ConfigError("option 'ca_file': '" + caFile + "' is not a readable file");
    ERR_clear_error();
    if (SSL_CTX_load_verify_locations(context.native_handle(), caFile.c_str(), nullptr) != 1)
      throw ConfigError("option 'ca_file': no usable PEM certificates in '" + caFile + "': " + openSslError());
  }
  context.set_verify_mode(ssl::verify_peer);
  SSL_CTX_set_alpn_protos(context.native_handle(), kAlpnHttp11, sizeof kAlpnHttp11);
  return context;
}

CertInfo certInfo(X509* cert) {
  CertInfo out;
  out.subject = nameText(X509_get_subject_name(cert));
  out.issuer = nameText(X509_get_issuer_name(cert));
  out.sans = subjectAltNames(cert);
  out.serial = serialText(cert);
  out.notBefore = timeOf(X509_get0_notBefore(cert));
  out.notAfter = timeOf(X509_get0_notAfter(cert));
  return out;
}

TlsInfo inspectTls(SSL* ssl, const Url& url, const VerifyRecorder& recorder, const std::string& trustStore) {
  TlsInfo out;
  out.version = SSL_get_version(ssl);
  if (const char* cipher = SSL_get_cipher_name(ssl)) out.cipher = cipher;
  const unsigned char* alpn = nullptr;
  unsigned alpnLength = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpnLength);
  if (alpn) out.alpn.assign(reinterpret_cast<const char*>(alpn), alpnLength);
  if (!url.ipLiteral) out.sni = url.host;
  out.trustStore = trustStore;

  // On the client side the peer chain starts with the leaf.
  if (const STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl))
    for (int i = 0; i < sk_X509_num(chain); ++i) out.chain.push_back(certInfo(sk_X509_value(chain, i)));

  out.chainVerified = !recorder.failed() && SSL_get_verify_result(ssl) == X509_V_OK;
  if (recorder.failed()) {
    out.verifyError = X509_verify_cert_error_string(recorder.error());
    out.verifyErrorDepth = recorder.depth();
  }
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (leaf) {
    out.hostnameVerified = url.ipLiteral ? X509_check_ip_asc(leaf, url.host.c_str(), 0) == 1
                                         : X509_check_host(leaf, url.host.data(), url.host.size(), 0, nullptr) == 1;
  } else if (!recorder.failed()) {
    out.chainVerified = false;
    out.verifyError = "the server presented no certificate";
  }
  return out;
}

}  // namespace streamswarm::http_timing
