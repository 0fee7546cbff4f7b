// netns/dns_records: the records file the engine writes for each network's DNS server.
#include "netns/dns_records.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::netns::dns {
namespace {

std::string text(const Ipv4& a) { return format_ip({AF_INET, {a[0], a[1], a[2], a[3]}}); }

TEST(DnsRecords, HostsNamesAndSharedNames) {
  std::vector<std::string> warnings;
  auto r = Records::parse(
      "# made by berth\n"
      "\n"
      "host 172.18.0.2 web berthc0ffee1 Web-Alias.  # trailing comment\n"
      "host 172.18.0.3 web web.myproject\n"
      "host fd00:b3e7::2 web\n"
      "host 172.18.0.2 web\n",  // a repeated address is kept once
      warnings);
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  EXPECT_TRUE(r.forward()) << "forwarding is the default";
  auto web = r.find("web");
  ASSERT_TRUE(web);
  ASSERT_EQ(web->v4.size(), 2u);
  EXPECT_EQ(text(web->v4[0]), "172.18.0.2");
  EXPECT_EQ(text(web->v4[1]), "172.18.0.3");
  ASSERT_EQ(web->v6.size(), 1u);
  ASSERT_TRUE(r.find("web-alias")) << "stored lower case, without the final dot";
  ASSERT_TRUE(r.find("web.myproject"));
  EXPECT_FALSE(r.find("Web")) << "lookups are given lower-case names";
  EXPECT_FALSE(r.find("myproject"));
  EXPECT_EQ(r.find_ptr("2.0.18.172.in-addr.arpa").value_or(""), "web");
  EXPECT_EQ(r.find_ptr("3.0.18.172.in-addr.arpa").value_or(""), "web");
  EXPECT_EQ(r.find_ptr("2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.7.e.3.b.0.0.d.f.ip6.arpa")
                .value_or(""),
            "web");
  EXPECT_EQ(r.name_count(), 4u);
}

TEST(DnsRecords, ForwardUpstreamsAndClients) {
  std::vector<std::string> warnings;
  auto r = Records::parse(
      "forward no\n"
      "upstream 192.168.1.1\n"
      "upstream 1.2.3.4:5353 [fd00::1]:53 fd00::2\n"
      "client 172.18.0.2 10.250.0.2 10.250.0.3:54\n"
      "client 172.18.0.9 [fd00::9]\n",
      warnings);
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  EXPECT_FALSE(r.forward());
  auto defaults = r.upstreams_for(*parse_ip("172.18.0.5"));
  ASSERT_EQ(defaults.size(), 4u);
  EXPECT_EQ(format_endpoint(defaults[0]), "192.168.1.1:53");
  EXPECT_EQ(format_endpoint(defaults[1]), "1.2.3.4:5353");
  EXPECT_EQ(format_endpoint(defaults[2]), "[fd00::1]:53");
  EXPECT_EQ(format_endpoint(defaults[3]), "[fd00::2]:53");
  auto own = r.upstreams_for(*parse_ip("172.18.0.2"));
  ASSERT_EQ(own.size(), 2u);
  EXPECT_EQ(format_endpoint(own[1]), "10.250.0.3:54");
  ASSERT_EQ(r.upstreams_for(*parse_ip("172.18.0.9")).size(), 1u);
}

TEST(DnsRecords, SubnetsSayWhichClientsAreServed) {
  std::vector<std::string> warnings;
  auto open = Records::parse("host 172.18.0.2 web\n", warnings);
  EXPECT_TRUE(open.serves(*parse_ip("10.1.2.3"))) << "no subnet line: everyone";
  auto r = Records::parse(
      "subnet 172.18.0.0/16\n"
      "subnet fd00:b3e7::/64\n"
      "subnet 10.0.0.9/30\n"       // host bits given: the range all the same
      "subnet 172.18.0.0\n"        // 4: no prefix
      "subnet 172.18.0.0/33\n"     // 5: too long
      "subnet fd00::/64 more\n"    // 6
      "subnet 172.18.0.0/1x\n",    // 7
      warnings);
  ASSERT_EQ(warnings.size(), 4u);
  EXPECT_EQ(warnings[0].rfind("line 4: ", 0), 0u) << warnings[0];
  EXPECT_EQ(warnings[3].rfind("line 7: ", 0), 0u) << warnings[3];
  EXPECT_TRUE(r.serves(*parse_ip("172.18.0.2")));
  EXPECT_TRUE(r.serves(*parse_ip("172.18.255.254")));
  EXPECT_FALSE(r.serves(*parse_ip("172.19.0.2")));
  EXPECT_FALSE(r.serves(*parse_ip("172.17.255.255")));
  EXPECT_TRUE(r.serves(*parse_ip("fd00:b3e7::5")));
  EXPECT_FALSE(r.serves(*parse_ip("fd00:b3e8::5")));
  EXPECT_TRUE(r.serves(*parse_ip("10.0.0.11")));
  EXPECT_FALSE(r.serves(*parse_ip("10.0.0.12")));
  EXPECT_FALSE(r.serves(*parse_ip("::ffff:172.18.0.2"))) << "families are not mixed";
}

TEST(DnsRecords, MalformedLinesAreSkippedWithTheirNumber) {
  std::vector<std::string> warnings;
  auto r = Records::parse(
      "host 172.18.0.2 web\n"
      "host 300.1.1.1 bad\n"        // 2: not an address
      "host 172.18.0.3\n"           // 3: no name
      "host 172.18.0.4 ok bad!\n"   // 4: one bad name spoils the line
      "forward maybe\n"             // 5
      "upstream 1.2.3.4:0\n"        // 6: port 0
      "upstream [1.2.3.4]:53\n"     // 7: brackets are for IPv6
      "client 172.18.0.2\n"         // 8: no upstream
      "frobnicate\n"                // 9
      "host 172.18.0.5 " + std::string(64, 'x') + "\n"  // 10: label over 63
      "host 172.18.0.6 a..b\n"      // 11: empty label
      "host 172.18.0.7 db\n",
      warnings);
  ASSERT_EQ(warnings.size(), 10u);
  EXPECT_EQ(warnings[0].rfind("line 2: ", 0), 0u) << warnings[0];
  EXPECT_EQ(warnings[8].rfind("line 10: ", 0), 0u) << warnings[8];
  EXPECT_NE(warnings[2].find("bad!"), std::string::npos) << warnings[2];
  EXPECT_TRUE(r.find("web"));
  EXPECT_TRUE(r.find("db"));
  EXPECT_FALSE(r.find("ok"));
  EXPECT_TRUE(r.forward());
  EXPECT_TRUE(r.upstreams_for(*parse_ip("172.18.0.2")).empty());
}

TEST(DnsRecords, EndpointsAndReverseNames) {
  EXPECT_FALSE(parse_endpoint("1.2.3.4:"));
  EXPECT_FALSE(parse_endpoint("1.2.3.4:65536"));
  EXPECT_FALSE(parse_endpoint("[fd00::1"));
  EXPECT_FALSE(parse_endpoint("[fd00::1]53"));
  EXPECT_FALSE(parse_endpoint("example.com"));
  EXPECT_EQ(parse_endpoint("[::1]:5300")->port, 5300);
  EXPECT_EQ(reverse_name(*parse_ip("10.1.2.3")), "3.2.1.10.in-addr.arpa");
  EXPECT_EQ(reverse_name(*parse_ip("2001:db8::567:89ab")),
            "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}

TEST(DnsRecords, OnlyWholeCanonicalReverseNamesMatch) {
  std::vector<std::string> warnings;
  auto r = Records::parse("host 172.18.0.2 web\nhost 172.18.0.2 other\nhost fd00::2 six\n", warnings);
  EXPECT_EQ(r.find_ptr("2.0.18.172.in-addr.arpa").value_or(""), "web") << "the first line wins";
  for (const char* miss : {"0.18.172.in-addr.arpa", "02.0.18.172.in-addr.arpa", "1.2.0.18.172.in-addr.arpa",
                           "2.0.18.172.in-addr", "2..18.172.in-addr.arpa", "256.0.18.172.in-addr.arpa",
                           "x.0.18.172.in-addr.arpa", "in-addr.arpa", "2.0.18.172"})
    EXPECT_FALSE(r.find_ptr(miss)) << miss;
  std::string six = "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa";
  EXPECT_EQ(r.find_ptr(six).value_or(""), "six");
  EXPECT_FALSE(r.find_ptr(six.substr(2))) << "a nibble short";
  std::string bad = six;
  bad[0] = 'g';
  EXPECT_FALSE(r.find_ptr(bad));
  EXPECT_FALSE(r.find("2.0.18.172.in-addr.arpa")) << "reverse names are not host names";
}

TEST(DnsRecords, ManyNamesAllFound) {
  std::string text;
  for (int i = 0; i < 3000; i++) text += "host 10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256) + " svc" + std::to_string(i) + "\n";
  std::vector<std::string> warnings;
  auto r = Records::parse(text, warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(r.name_count(), 3000u);
  for (int i = 0; i < 3000; i++) {
    auto a = r.find("svc" + std::to_string(i));
    ASSERT_TRUE(a) << i;
    ASSERT_EQ(a->v4.size(), 1u);
    EXPECT_EQ(a->v4[0][3], i % 256);
  }
  EXPECT_FALSE(r.find("svc3000"));
  EXPECT_FALSE(r.find(""));
  EXPECT_FALSE(Records::parse("", warnings).find("svc1")) << "an empty table";
}

}  // namespace
}  // namespace berth::netns::dns
