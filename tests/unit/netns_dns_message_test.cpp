// netns/dns_message and netns/dns_answer: reading queries and writing replies, including
// everything a hostile or broken client may send (short packets, compression loops,
// overlong names, several OPT records) and the TC rules. Replies are read back with the
// tests' own decoder (netns_dns_test_util.h).
#include "netns/dns_message.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "netns/dns_answer.h"
#include "netns/dns_records.h"
#include "netns_dns_test_util.h"

namespace berth::netns::dns {
namespace {

using testing::append;
using testing::make_query;
using testing::parse_response;
using testing::QueryOptions;

Verdict parse(const std::vector<uint8_t>& p, Query& q) { return parse_query(p, q); }

TEST(DnsMessage, ParsesQuestionLowerCasedAndKeepsWireCase) {
  Query q;
  ASSERT_EQ(parse(make_query("Web.MyProject", kTypeA), q), Verdict::kQuery);
  EXPECT_EQ(q.id, 0x1234);
  EXPECT_TRUE(q.has_question);
  EXPECT_EQ(q.question.name.text_view(), "web.myproject");
  EXPECT_EQ(q.question.type, kTypeA);
  EXPECT_EQ(q.question.klass, kClassIn);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(q.question.name.wire), 4), "\3Web");
  EXPECT_FALSE(q.has_edns);
  EXPECT_EQ(q.udp_size, 512);
}

TEST(DnsMessage, RootNameAndDotInsideLabel) {
  Query q;
  ASSERT_EQ(parse(make_query("", kTypeA), q), Verdict::kQuery);
  EXPECT_EQ(q.question.name.text_view(), "");
  EXPECT_EQ(q.question.name.wire_len, 1u);
  // One label "web.x" (a dot inside a label is legal on the wire) must not pass for the
  // two-label name web.x.
  std::vector<uint8_t> p = make_query("a", kTypeA);
  std::vector<uint8_t> label = {5, 'w', 'e', 'b', '.', 'x', 0};
  p.erase(p.begin() + 12, p.begin() + 15);
  p.insert(p.begin() + 12, label.begin(), label.end());
  ASSERT_EQ(parse(p, q), Verdict::kQuery);
  EXPECT_FALSE(q.question.name.dotted_ok);
}

TEST(DnsMessage, Edns) {
  Query q;
  ASSERT_EQ(parse(make_query("web", kTypeA, {.edns_size = 4096}), q), Verdict::kQuery);
  EXPECT_TRUE(q.has_edns);
  EXPECT_EQ(q.udp_size, 4096);
  // A size under 512 counts as 512 (RFC 6891 6.2.5).
  ASSERT_EQ(parse(make_query("web", kTypeA, {.edns_size = 100}), q), Verdict::kQuery);
  EXPECT_EQ(q.udp_size, 512);
  EXPECT_EQ(parse(make_query("web", kTypeA, {.edns_size = 1232, .edns_version = 1}), q),
            Verdict::kBadVers);
  // Two OPT records: FORMERR (RFC 6891 6.1.1).
  auto p = make_query("web", kTypeA, {.edns_size = 1232});
  std::vector<uint8_t> opt(p.end() - 11, p.end());
  p.insert(p.end(), opt.begin(), opt.end());
  p[11] = 2;
  EXPECT_EQ(parse(p, q), Verdict::kFormErr);
}

TEST(DnsMessage, MalformedHeadersAndCounts) {
  Query q;
  EXPECT_EQ(parse({}, q), Verdict::kDrop);
  EXPECT_EQ(parse(std::vector<uint8_t>(11, 0), q), Verdict::kDrop);
  auto p = make_query("web", kTypeA);
  p[2] |= 0x80;  // QR: a response, never answered
  EXPECT_EQ(parse(p, q), Verdict::kDrop);
  p = make_query("web", kTypeA);
  p[5] = 0;  // no question
  EXPECT_EQ(parse(p, q), Verdict::kFormErr);
  p[5] = 2;  // two questions, one present
  EXPECT_EQ(parse(p, q), Verdict::kFormErr);
  p = make_query("web", kTypeA);
  p.pop_back();  // class cut short
  EXPECT_EQ(parse(p, q), Verdict::kFormErr);
  EXPECT_FALSE(q.has_question);
  EXPECT_EQ(q.id, 0x1234) << "the id is known, so FORMERR can be addressed";
  p = make_query("web", kTypeA);
  p[11] = 1;  // an additional record that is not there
  EXPECT_EQ(parse(p, q), Verdict::kFormErr);
  p = make_query("web", kTypeA);
  p[2] = (p[2] & 0x87) | (2 << 3);  // opcode 2 (STATUS)
  EXPECT_EQ(parse(p, q), Verdict::kNotImp);
}

TEST(DnsMessage, CompressionPointersAreBounded) {
  Query q;
  // A pointer to itself.
  std::vector<uint8_t> p = make_query("a", kTypeA);
  p.resize(12);
  append(p, {0xc0, 12, 0, 1, 0, 1});
  EXPECT_EQ(parse(p, q), Verdict::kFormErr);
  // A label, then a pointer back to that label: a loop of two.
  p.resize(12);
  append(p, {1, 'a', 0xc0, 12, 0, 1, 0, 1});
  EXPECT_EQ(parse(p, q), Verdict::kFormErr);
  // A forward pointer.
  p.resize(12);
  append(p, {0xc0, 14, 1, 'a', 0, 0, 1, 0, 1});
  EXPECT_EQ(parse(p, q), Verdict::kFormErr);
  // Pointing past the end, and a pointer cut in half.
  p.resize(12);
  append(p, {0xc0, 0xff});
  EXPECT_EQ(parse(p, q), Verdict::kFormErr);
  p.resize(12);
  p.push_back(0xc0);
  EXPECT_EQ(parse(p, q), Verdict::kFormErr);
  // The obsolete label types 01 and 10.
  p.resize(12);
  append(p, {0x41, 'a', 0, 0, 1, 0, 1});
  EXPECT_EQ(parse(p, q), Verdict::kFormErr);
}

TEST(DnsMessage, BackwardPointerInAdditionalSectionIsFine) {
  // An OPT is owned by the root; here a (non-OPT) additional record uses a pointer to the
  // question's name, which a legitimate writer may do.
  auto p = make_query("web", kTypeA);
  p[11] = 1;
  append(p, {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0});
  Query q;
  EXPECT_EQ(parse(p, q), Verdict::kQuery);
}

TEST(DnsMessage, NameLengthLimit) {
  Query q;
  // 4 labels of 63 = 4*64 + 1 = 257 bytes on the wire: too long.
  std::string label(63, 'x');
  std::string long_name = label + "." + label + "." + label + "." + label;
  EXPECT_EQ(parse(make_query(long_name, kTypeA), q), Verdict::kFormErr);
  // 3 of 63 and one of 61: exactly 255.
  std::string max_name = label + "." + label + "." + label + "." + std::string(61, 'y');
  ASSERT_EQ(parse(make_query(max_name, kTypeA), q), Verdict::kQuery);
  EXPECT_EQ(q.question.name.wire_len, 255u);
  EXPECT_EQ(q.question.name.text_len, 253u);
}

TEST(DnsMessage, ReplyWithAddressesEchoesQuestionAndOpt) {
  Query q;
  ASSERT_EQ(parse(make_query("WEB", kTypeA, {.id = 77, .edns_size = 4096}), q), Verdict::kQuery);
  Ipv4 a[2] = {{10, 0, 0, 1}, {10, 0, 0, 2}};
  Reply r;
  r.authoritative = true;
  r.recursion_available = true;
  r.a = a;
  r.ttl = 5;
  r.rotate = 1;
  std::vector<uint8_t> out(1232);
  out.resize(write_reply(q, r, out));
  auto resp = parse_response(out);
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->id, 77);
  EXPECT_TRUE(resp->aa);
  EXPECT_TRUE(resp->ra);
  EXPECT_FALSE(resp->tc);
  EXPECT_EQ(resp->question, "WEB") << "the question goes back as asked";
  ASSERT_EQ(resp->answers.size(), 2u);
  EXPECT_EQ(resp->answers[0].data, "10.0.0.2") << "rotated by one";
  EXPECT_EQ(resp->answers[1].data, "10.0.0.1");
  EXPECT_EQ(resp->answers[0].ttl, 5u);
  EXPECT_TRUE(resp->has_opt);
  EXPECT_EQ(resp->opt_size, kMaxUdpSize);
}

TEST(DnsMessage, TruncatesWholeAnswerWithTc) {
  Query q;
  ASSERT_EQ(parse(make_query("web", kTypeA, {.edns_size = 600}), q), Verdict::kQuery);
  std::vector<Ipv4> many(60, Ipv4{10, 0, 0, 9});  // 60 * 16 bytes: more than 600
  Reply r;
  r.a = many;
  std::vector<uint8_t> out(600);
  size_t n = write_reply(q, r, out);
  ASSERT_GT(n, 0u);
  out.resize(n);
  auto resp = parse_response(out);
  ASSERT_TRUE(resp);
  EXPECT_TRUE(resp->tc);
  EXPECT_TRUE(resp->answers.empty()) << "no partial RRset (RFC 2181 9)";
  EXPECT_TRUE(resp->has_opt) << "the OPT survives truncation";
  EXPECT_EQ(resp->question, "web");
  // The same fits in 1232.
  out.assign(1232, 0);
  out.resize(write_reply(q, r, out));
  resp = parse_response(out);
  ASSERT_TRUE(resp);
  EXPECT_FALSE(resp->tc);
  EXPECT_EQ(resp->answers.size(), 60u);
}

TEST(DnsMessage, ErrorRepliesAndBadVers) {
  Query q;
  auto p = make_query("web", kTypeA, {.edns_size = 1232, .edns_version = 2});
  ASSERT_EQ(parse(p, q), Verdict::kBadVers);
  Reply r;
  r.rcode = Rcode::kBadVers;
  std::vector<uint8_t> out(512);
  out.resize(write_reply(q, r, out));
  auto resp = parse_response(out);
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->rcode, 16) << "BADVERS: 0 in the header, 1 in the OPT's extended rcode";
  // FORMERR without a question when none could be read.
  p = make_query("web", kTypeA);
  p.resize(14);
  EXPECT_EQ(parse(p, q), Verdict::kFormErr);
  r.rcode = Rcode::kFormErr;
  out.assign(512, 0);
  out.resize(write_reply(q, r, out));
  resp = parse_response(out);
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->rcode, 1);
  EXPECT_EQ(resp->question, "");
  EXPECT_EQ(out.size(), 12u);
}

TEST(DnsMessage, AnswersQuestionChecksIdQuestionAndQr) {
  Query q;
  auto query = make_query("Example.COM", kTypeA, {.id = 4242});
  ASSERT_EQ(parse(query, q), Verdict::kQuery);
  auto good = testing::make_answer(make_query("example.com", kTypeA, {.id = 4242}), "1.2.3.4");
  EXPECT_TRUE(answers_question(good, 4242, q.question)) << "case does not matter";
  EXPECT_FALSE(answers_question(good, 4243, q.question));
  auto other = testing::make_answer(make_query("example.org", kTypeA, {.id = 4242}), "1.2.3.4");
  EXPECT_FALSE(answers_question(other, 4242, q.question));
  auto aaaa = testing::make_answer(make_query("example.com", kTypeAaaa, {.id = 4242}), "");
  EXPECT_FALSE(answers_question(aaaa, 4242, q.question));
  EXPECT_FALSE(answers_question(query, 4242, q.question)) << "a query is no answer";
  good.resize(11);
  EXPECT_FALSE(answers_question(good, 4242, q.question));
}

// The decisions of dns_answer, on a small table.
class DnsAnswer : public ::testing::Test {
 protected:
  DnsAnswer() {
    std::vector<std::string> warnings;
    records_ = Records::parse(
        "host 10.0.0.2 web db\n"
        "host 10.0.0.3 web\n"
        "host fd00::2 v6only\n",
        warnings);
  }
  std::optional<testing::Response> ask(const std::string& name, uint16_t type,
                                       Decision::Kind want = Decision::kReply,
                                       const QueryOptions& o = {}) {
    auto p = make_query(name, type, o);
    std::vector<uint8_t> out(kMaxTcpMessage);
    Query q;
    Decision d = answer_query(records_, IpAddress{}, p, Transport::kUdp, out, 0, q);
    EXPECT_EQ(d.kind, want) << name;
    if (d.kind != Decision::kReply) return std::nullopt;
    out.resize(d.length);
    return parse_response(out);
  }
  Records records_;
};

TEST_F(DnsAnswer, LocalNamesNodataAndPtr) {
  auto r = ask("WEB.", kTypeA);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rcode, 0);
  EXPECT_EQ(r->answers.size(), 2u);
  r = ask("web", kTypeAaaa);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rcode, 0) << "NODATA, never NXDOMAIN, for a name that exists";
  EXPECT_TRUE(r->answers.empty());
  r = ask("v6only", kTypeAaaa);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->answers.size(), 1u);
  EXPECT_EQ(r->answers[0].data, "fd00::2");
  r = ask("web", 16 /* TXT */);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rcode, 0);
  EXPECT_TRUE(r->answers.empty());
  r = ask("web", kTypeAny);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->answers.size(), 2u);
  r = ask("2.0.0.10.in-addr.arpa", kTypePtr);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->answers.size(), 1u);
  EXPECT_EQ(r->answers[0].data, "web") << "the first name of the line";
  r = ask("2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa", kTypePtr);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->answers.size(), 1u);
  EXPECT_EQ(r->answers[0].data, "v6only");
}

TEST_F(DnsAnswer, OthersForwardedOrServfail) {
  ask("example.com", kTypeA, Decision::kForward);
  ask("9.9.9.10.in-addr.arpa", kTypePtr, Decision::kForward);
  ask("web", kTypeA, Decision::kForward, {.klass = 3 /* CHAOS */});
  std::vector<std::string> warnings;
  records_ = Records::parse("forward no\nhost 10.0.0.2 web\n", warnings);
  auto r = ask("example.com", kTypeA);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rcode, 2) << "internal network: SERVFAIL, as docker";
  EXPECT_FALSE(r->ra);
}

TEST_F(DnsAnswer, UnknownSingleLabelsAreNxdomainAtOnce) {
  auto r = ask("gone", kTypeA);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rcode, 3);
  EXPECT_TRUE(r->aa);
  ask("gone.example.com", kTypeA, Decision::kForward);
}

TEST_F(DnsAnswer, PeerNamesOnlyForTheirClient) {
  std::vector<std::string> warnings;
  records_ = Records::parse("host 10.0.0.2 web\npeer 10.0.0.2 10.9.0.3 db\npeer 10.0.0.2 10.9.0.4 web\n"
                            "peer 10.0.0.7 10.9.0.3 db\npeer bad\n", warnings);
  EXPECT_EQ(warnings.size(), 1u);
  auto ask_from = [&](const std::string& client, const std::string& name, uint16_t type) {
    auto p = make_query(name, type, {});
    std::vector<uint8_t> out(kMaxTcpMessage);
    Query q;
    Decision d = answer_query(records_, *parse_ip(client), p, Transport::kUdp, out, 0, q);
    out.resize(d.length);
    return parse_response(out);
  };
  auto r = ask_from("10.0.0.2", "db", kTypeA);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->answers.size(), 1u);
  EXPECT_EQ(r->answers[0].data, "10.9.0.3");
  r = ask_from("10.0.0.2", "web", kTypeA);  // its own view first
  ASSERT_TRUE(r);
  ASSERT_EQ(r->answers.size(), 1u);
  EXPECT_EQ(r->answers[0].data, "10.9.0.4");
  r = ask_from("10.0.0.2", "3.0.9.10.in-addr.arpa", kTypePtr);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->answers.size(), 1u);
  r = ask_from("10.0.0.5", "db", kTypeA);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rcode, 3) << "another client does not see it";
}

TEST_F(DnsAnswer, UdpLimitHonoursEdnsAndCapsAt1232) {
  std::string text;
  for (int i = 1; i <= 100; i++) text += "host 10.1.0." + std::to_string(i) + " many\n";
  std::vector<std::string> warnings;
  records_ = Records::parse(text, warnings);
  auto r = ask("many", kTypeA);  // no EDNS: 512
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->tc);
  EXPECT_LE(r->size, 512u);
  r = ask("many", kTypeA, Decision::kReply, {.edns_size = 65000});  // 100*16 > 1232
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->tc);
  EXPECT_LE(r->size, 1232u);
  // Over TCP everything fits.
  auto p = make_query("many", kTypeA);
  std::vector<uint8_t> out(kMaxTcpMessage);
  Query q;
  Decision d = answer_query(records_, IpAddress{}, p, Transport::kTcp, out, 0, q);
  ASSERT_EQ(d.kind, Decision::kReply);
  out.resize(d.length);
  auto tcp = parse_response(out);
  ASSERT_TRUE(tcp);
  EXPECT_FALSE(tcp->tc);
  EXPECT_EQ(tcp->answers.size(), 100u);
}

TEST_F(DnsAnswer, OversizedQueryGetsFormerr) {
  auto p = make_query("web", kTypeA, {.id = 99});
  p.resize(kMaxQuery + 1, 0);
  std::vector<uint8_t> out(kMaxUdpSize);
  Query q;
  Decision d = answer_query(records_, IpAddress{}, p, Transport::kUdp, out, 0, q);
  ASSERT_EQ(d.kind, Decision::kReply);
  out.resize(d.length);
  auto r = parse_response(out);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, 99);
  EXPECT_EQ(r->rcode, 1);
}

// A few thousand random and mutated packets through parser and answerer: nothing may
// crash or write beyond the limit it was given. (Under BERTH_SANITIZE=1 every read is
// checked too; tests/fuzz/dns_message_fuzz.cpp does this at length.)
TEST_F(DnsAnswer, RandomAndMutatedPacketsAreSafe) {
  std::mt19937 rng(12345);
  std::vector<std::vector<uint8_t>> seeds = {
      make_query("web", kTypeA), make_query("Web.MyProject", kTypeAaaa, {.edns_size = 4096}),
      make_query("2.0.0.10.in-addr.arpa", kTypePtr), make_query("example.com", kTypeAny)};
  for (int i = 0; i < 4000; i++) {
    std::vector<uint8_t> p;
    if (i % 4 == 0) {
      p.resize(rng() % 64);
      for (auto& b : p) b = static_cast<uint8_t>(rng());
    } else {
      p = seeds[rng() % seeds.size()];
      int flips = 1 + static_cast<int>(rng() % 6);
      for (int f = 0; f < flips; f++) {
        switch (rng() % 4) {
          case 0: p[rng() % p.size()] = static_cast<uint8_t>(rng()); break;
          case 1: p[rng() % p.size()] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
          case 2: p.resize(rng() % (p.size() + 1)); break;
          case 3: p.push_back(rng() % 2 ? 0xc0 : static_cast<uint8_t>(rng())); break;
        }
        if (p.empty()) break;
      }
    }
    size_t limit = 12 + rng() % 1300;
    std::vector<uint8_t> out(limit + 64, 0xee);
    Query q;
    Decision d = answer_query(records_, IpAddress{}, p, rng() % 2 ? Transport::kUdp : Transport::kTcp,
                              std::span(out.data(), limit), rng(), q);
    if (d.kind == Decision::kReply) {
      ASSERT_LE(d.length, limit);
      ASSERT_GE(d.length, kHeaderSize);
    }
    for (size_t k = limit; k < out.size(); k++) ASSERT_EQ(out[k], 0xee) << "wrote past the limit";
    (void)answers_question(p, q.id, q.question);
  }
}

}  // namespace
}  // namespace berth::netns::dns
