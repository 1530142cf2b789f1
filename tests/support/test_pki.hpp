// Certificates for TLS tests, made with the OpenSSL API (no openssl CLI, no fixed dates): a root
// CA, an intermediate CA signed by it, and leaf certificates signed by the intermediate with the
// names and validity window a test asks for (an expired one, one for another host, ...).
//
//   TestPki pki(dir.path());
//   auto leaf = pki.issue("good", {"localhost"}, {"127.0.0.1"}, -1h, 30 * 24h);
//   // serve leaf.chainFile + leaf.keyFile; trust pki.rootFile()
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace streamswarm::testsupport {

class TestPki {
 public:
  struct Issued {
    std::filesystem::path certFile;   // the certificate alone
    std::filesystem::path chainFile;  // the certificate, then the intermediate: what a server presents
    std::filesystem::path keyFile;
  };

  // Validity offsets are relative to now; a negative notAfter makes an expired certificate.
  explicit TestPki(std::filesystem::path dir, std::chrono::seconds rootLife = std::chrono::hours(24 * 3650),
                   std::chrono::seconds intermediateLife = std::chrono::hours(24 * 365))
      : dir_(std::move(dir)) {
    rootKey_ = newKey();
    root_ = makeCert("StreamSwarm Test Root CA", rootKey_.get(), nullptr, rootKey_.get(), std::chrono::hours(-1),
                     rootLife, true, {}, {});
    intermediateKey_ = newKey();
    intermediate_ = makeCert("StreamSwarm Test Intermediate CA", intermediateKey_.get(), root_.get(), rootKey_.get(),
                             std::chrono::hours(-1), intermediateLife, true, {}, {});
    writeCerts(rootFile(), {root_.get()});
    writeCerts(intermediateFile(), {intermediate_.get()});
  }

  std::filesystem::path rootFile() const { return dir_ / "root-ca.pem"; }
  std::filesystem::path intermediateFile() const { return dir_ / "intermediate-ca.pem"; }

  Issued issue(const std::string& name, const std::vector<std::string>& dnsNames,
               const std::vector<std::string>& ipAddresses, std::chrono::seconds notBefore,
               std::chrono::seconds notAfter) {
    auto key = newKey();
    const std::string commonName = dnsNames.empty() ? name : dnsNames.front();
    auto cert = makeCert(commonName, key.get(), intermediate_.get(), intermediateKey_.get(), notBefore, notAfter, false,
                         dnsNames, ipAddresses);
    Issued out{dir_ / (name + ".pem"), dir_ / (name + "-chain.pem"), dir_ / (name + "-key.pem")};
    writeCerts(out.certFile, {cert.get()});
    writeCerts(out.chainFile, {cert.get(), intermediate_.get()});
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(out.keyFile.c_str(), "w"), &std::fclose);
    if (!file || PEM_write_PrivateKey(file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
      throw std::runtime_error("cannot write " + out.keyFile.string());
    return out;
  }

 private:
  using Key = std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)>;
  using Cert = std::unique_ptr<X509, void (*)(X509*)>;

  static Key newKey() {
    Key key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
    if (!key) throw std::runtime_error("EVP_EC_gen failed");
    return key;
  }

  static void addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, issuer ? issuer : cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
    if (!ext) throw std::runtime_error("bad certificate extension " + value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }

  Cert makeCert(const std::string& commonName, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuerKey,
                std::chrono::seconds notBefore, std::chrono::seconds notAfter, bool ca,
                const std::vector<std::string>& dnsNames, const std::vector<std::string>& ipAddresses) {
    Cert cert(X509_new(), &X509_free);
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ++serial_);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), static_cast<long>(notBefore.count()));
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(notAfter.count()));
    X509_set_pubkey(cert.get(), key);
    X509_NAME* subject = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("StreamSwarm Tests"),
                               -1, -1, 0);
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(commonName.c_str()),
                               -1, -1, 0);
    X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : subject);
    addExtension(cert.get(), issuer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    addExtension(cert.get(), issuer, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    addExtension(cert.get(), issuer, NID_subject_key_identifier, "hash");
    if (issuer) addExtension(cert.get(), issuer, NID_authority_key_identifier, "keyid:always");
    if (!ca) addExtension(cert.get(), issuer, NID_ext_key_usage, "serverAuth");
    std::string sans;
    for (const auto& d : dnsNames) sans += (sans.empty() ? "" : ",") + std::string("DNS:") + d;
    for (const auto& ip : ipAddresses) sans += (sans.empty() ? "" : ",") + std::string("IP:") + ip;
    if (!sans.empty()) addExtension(cert.get(), issuer, NID_subject_alt_name, sans);
    if (X509_sign(cert.get(), issuerKey, EVP_sha256()) == 0) throw std::runtime_error("X509_sign failed");
    return cert;
  }

  static void writeCerts(const std::filesystem::path& path, const std::vector<X509*>& certs) {
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "w"), &std::fclose);
    if (!file) throw std::runtime_error("cannot write " + path.string());
    for (X509* c : certs)
      if (PEM_write_X509(file.get(), c) != 1) throw std::runtime_error("cannot write " + path.string());
  }

  std::filesystem::path dir_;
  long serial_ = 1000;
  Key rootKey_{nullptr, &EVP_PKEY_free};
  Cert root_{nullptr, &X509_free};
  Key intermediateKey_{nullptr, &EVP_PKEY_free};
  Cert intermediate_{nullptr, &X509_free};
};

}  // namespace streamswarm::testsupport
