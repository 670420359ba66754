#include "events/pattern.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "events/pattern_index.h"

namespace tarn::events {
namespace {

// One pattern, one event, and whether they match. Every case runs through Pattern::Matches and
// through a PatternIndex holding that one pattern.
struct MatchCase {
  const char* name;
  const char* pattern;
  const char* event;
  bool matches;
};

std::ostream& operator<<(std::ostream& out, const MatchCase& c) { return out << c.name; }

// The example event of EventBridge's and Event Ruler's documentation.
constexpr const char* kEc2Event = R"({
  "version": "0", "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
  "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
  "account": "012345679012", "time": "2017-10-02T16:24:49Z", "region": "us-east-1",
  "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
  "detail": {"c-count": 5, "d-count": 3, "x-limit": 301.8, "source-ip": "10.0.0.33",
             "instance-id": "i-000000aaaaaa00000", "state": "running"}})";

const MatchCase kCases[] = {
    // Exact values: a list is OR, fields are AND.
    {"exact_string", R"({"source": ["aws.ec2"]})", kEc2Event, true},
    {"exact_string_other", R"({"source": ["aws.s3"]})", kEc2Event, false},
    {"exact_list_is_or", R"({"source": ["aws.s3", "aws.ec2"]})", kEc2Event, true},
    {"exact_list_none", R"({"source": ["aws.s3", "aws.sns"]})", kEc2Event, false},
    {"fields_are_and", R"({"source": ["aws.ec2"], "region": ["us-east-1"]})", kEc2Event, true},
    {"fields_are_and_one_fails", R"({"source": ["aws.ec2"], "region": ["eu-west-1"]})", kEc2Event, false},
    {"exact_is_case_sensitive", R"({"source": ["AWS.EC2"]})", kEc2Event, false},
    {"exact_nested", R"({"detail": {"state": ["running"]}})", kEc2Event, true},
    {"exact_nested_other", R"({"detail": {"state": ["stopped"]}})", kEc2Event, false},
    {"missing_field", R"({"detail": {"colour": ["red"]}})", kEc2Event, false},
    {"doc_simple_rule",
     R"({"detail-type": ["EC2 Instance State-change Notification"],
         "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
         "detail": {"state": ["initializing", "running"]}})", kEc2Event, true},
    {"exact_string_not_number", R"({"detail": {"c-count": ["5"]}})", kEc2Event, false},
    {"exact_number", R"({"detail": {"c-count": [5]}})", kEc2Event, true},
    {"exact_number_other", R"({"detail": {"c-count": [6]}})", kEc2Event, false},
    {"exact_number_not_string", R"({"n": [5]})", R"({"n": "5"})", false},
    {"exact_int_matches_float", R"({"n": [300]})", R"({"n": 300.0})", true},
    {"exact_float_matches_int", R"({"n": [300.0]})", R"({"n": 300})", true},
    {"exact_exponent_matches_int", R"({"n": [3e2]})", R"({"n": 300})", true},
    {"exact_float", R"({"detail": {"x-limit": [301.8]}})", kEc2Event, true},
    {"exact_float_exponent", R"({"detail": {"x-limit": [3.018e2]}})", kEc2Event, true},
    {"exact_negative", R"({"n": [-7]})", R"({"n": -7.0})", true},
    {"exact_zero_negative_zero", R"({"n": [0]})", R"({"n": -0.0})", true},
    {"exact_large_unsigned", R"({"n": [18446744073709551615]})", R"({"n": 18446744073709551615})", true},
    {"exact_true", R"({"b": [true]})", R"({"b": true})", true},
    {"exact_true_vs_false", R"({"b": [true]})", R"({"b": false})", false},
    {"exact_false", R"({"b": [false]})", R"({"b": false})", true},
    {"exact_true_not_string", R"({"b": [true]})", R"({"b": "true"})", false},
    {"exact_string_true_not_bool", R"({"b": ["true"]})", R"({"b": true})", false},
    {"exact_one_not_true", R"({"b": [1]})", R"({"b": true})", false},
    {"exact_unicode", R"({"s": ["héllo ☃"]})", R"({"s": "héllo ☃"})", true},
    {"exact_dotted_key_same_as_nested", R"({"a": {"b": ["x"]}})", R"({"a.b": "x"})", true},
    {"exact_deep", R"({"a": {"b": {"c": {"d": ["x"]}}}})", R"({"a": {"b": {"c": {"d": "x"}}}})", true},
    {"pattern_leaf_vs_event_object", R"({"a": ["x"]})", R"({"a": {"b": "x"}})", false},
    {"pattern_object_vs_event_leaf", R"({"a": {"b": ["x"]}})", R"({"a": "x"})", false},

    // Null and the empty string (EventBridge's documented example).
    {"null_matches_null", R"({"detail": {"responseElements": [null]}})",
     R"({"detail": {"eventVersion": "", "responseElements": null}})", true},
    {"empty_matches_empty", R"({"detail": {"eventVersion": [""]}})",
     R"({"detail": {"eventVersion": "", "responseElements": null}})", true},
    {"empty_not_null", R"({"detail": {"responseElements": [""]}})",
     R"({"detail": {"eventVersion": "", "responseElements": null}})", false},
    {"null_not_empty", R"({"detail": {"eventVersion": [null]}})",
     R"({"detail": {"eventVersion": "", "responseElements": null}})", false},
    {"null_not_missing", R"({"a": [null]})", R"({"b": 1})", false},
    {"null_not_string_null", R"({"a": [null]})", R"({"a": "null"})", false},
    {"empty_not_missing", R"({"a": [""]})", R"({"b": ""})", false},
    {"null_in_array", R"({"a": [null]})", R"({"a": [1, null]})", true},

    // Arrays in the event: a field matches when any element does.
    {"array_any_element", R"({"resources": ["arn:b"]})", R"({"resources": ["arn:a", "arn:b"]})", true},
    {"array_no_element", R"({"resources": ["arn:c"]})", R"({"resources": ["arn:a", "arn:b"]})", false},
    {"array_intersection", R"({"r": ["x", "b"]})", R"({"r": ["a", "b"]})", true},
    {"array_empty", R"({"r": ["a"]})", R"({"r": []})", false},
    {"array_of_objects", R"({"employees": {"firstName": ["Anna"]}})",
     R"({"employees": [{"firstName": "John"}, {"firstName": "Anna"}]})", true},
    {"array_of_arrays", R"({"employees": {"firstName": ["Peter"]}})",
     R"({"employees": [[{"firstName": "John"}], [{"firstName": "Peter"}]]})", true},
    {"array_nested_scalars", R"({"m": [3]})", R"({"m": [[1, 2], [3]]})", true},
    {"array_mixed_types", R"({"m": ["2"]})", R"({"m": [1, 2, true]})", false},

    // prefix
    {"prefix", R"({"time": [{"prefix": "2017-10-02"}]})", kEc2Event, true},
    {"prefix_other", R"({"time": [{"prefix": "2017-10-03"}]})", kEc2Event, false},
    {"prefix_whole_value", R"({"s": [{"prefix": "abc"}]})", R"({"s": "abc"})", true},
    {"prefix_longer_than_value", R"({"s": [{"prefix": "abcd"}]})", R"({"s": "abc"})", false},
    {"prefix_empty_matches_strings", R"({"s": [{"prefix": ""}]})", R"({"s": "abc"})", true},
    {"prefix_empty_not_numbers", R"({"s": [{"prefix": ""}]})", R"({"s": 1})", false},
    {"prefix_case_sensitive", R"({"s": [{"prefix": "ABC"}]})", R"({"s": "abcdef"})", false},
    {"prefix_not_numbers", R"({"n": [{"prefix": "12"}]})", R"({"n": 123})", false},
    {"prefix_in_array", R"({"s": [{"prefix": "us-"}]})", R"({"s": ["eu-west-1", "us-east-1"]})", true},
    {"prefix_or_exact", R"({"s": ["x", {"prefix": "us-"}]})", R"({"s": "x"})", true},
    {"prefix_ignore_case", R"({"service": [{"prefix": {"equals-ignore-case": "eventb"}}]})",
     R"({"service": "EventBridge"})", true},
    {"prefix_ignore_case_other", R"({"service": [{"prefix": {"equals-ignore-case": "eventc"}}]})",
     R"({"service": "EventBridge"})", false},
    {"prefix_ignore_case_upper_pattern", R"({"s": [{"prefix": {"equals-ignore-case": "EVENTB"}}]})",
     R"({"s": "eventbridge"})", true},

    // suffix
    {"suffix", R"({"source": [{"suffix": "ec2"}]})", kEc2Event, true},
    {"suffix_other", R"({"source": [{"suffix": "s3"}]})", kEc2Event, false},
    {"suffix_png", R"({"FileName": [{"suffix": ".png"}]})", R"({"FileName": "image.png"})", true},
    {"suffix_png_not_jpg", R"({"FileName": [{"suffix": ".png"}]})", R"({"FileName": "image.jpg"})", false},
    {"suffix_case_sensitive", R"({"FileName": [{"suffix": ".PNG"}]})", R"({"FileName": "image.png"})", false},
    {"suffix_whole_value", R"({"s": [{"suffix": "abc"}]})", R"({"s": "abc"})", true},
    {"suffix_longer", R"({"s": [{"suffix": "xabc"}]})", R"({"s": "abc"})", false},
    {"suffix_not_numbers", R"({"n": [{"suffix": "3"}]})", R"({"n": 123})", false},
    {"suffix_ignore_case", R"({"service": [{"suffix": {"equals-ignore-case": "tBridge"}}]})",
     R"({"service": "EVENTBRIDGE"})", true},
    {"suffix_ignore_case_other", R"({"service": [{"suffix": {"equals-ignore-case": "xbridge"}}]})",
     R"({"service": "EVENTBRIDGE"})", false},

    // equals-ignore-case
    {"ignore_case", R"({"source": [{"equals-ignore-case": "AWS.EC2"}]})", kEc2Event, true},
    {"ignore_case_mixed", R"({"name": [{"equals-ignore-case": "alice"}]})", R"({"name": "AlIcE"})", true},
    {"ignore_case_other", R"({"name": [{"equals-ignore-case": "alice"}]})", R"({"name": "alicia"})", false},
    {"ignore_case_not_prefix", R"({"name": [{"equals-ignore-case": "ali"}]})", R"({"name": "alice"})", false},
    {"ignore_case_not_numbers", R"({"n": [{"equals-ignore-case": "5"}]})", R"({"n": 5})", false},
    {"ignore_case_empty", R"({"n": [{"equals-ignore-case": ""}]})", R"({"n": ""})", true},

    // wildcard
    {"wildcard_middle", R"({"source": [{"wildcard": "Simple*Service"}]})", R"({"source": "SimpleQueueService"})", true},
    {"wildcard_middle_empty_run", R"({"source": [{"wildcard": "Simple*Service"}]})", R"({"source": "SimpleService"})", true},
    {"wildcard_middle_other", R"({"source": [{"wildcard": "Simple*Service"}]})", R"({"source": "SimpleQueue"})", false},
    {"wildcard_path", R"({"f": [{"wildcard": "dir/*.png"}]})", R"({"f": "dir/a/b.png"})", true},
    {"wildcard_path_other_dir", R"({"f": [{"wildcard": "dir/*.png"}]})", R"({"f": "other/b.png"})", false},
    {"wildcard_star_only", R"({"f": [{"wildcard": "*"}]})", R"({"f": ""})", true},
    {"wildcard_star_not_numbers", R"({"f": [{"wildcard": "*"}]})", R"({"f": 5})", false},
    {"wildcard_no_star_is_exact", R"({"f": [{"wildcard": "abc"}]})", R"({"f": "abc"})", true},
    {"wildcard_no_star_not_prefix", R"({"f": [{"wildcard": "abc"}]})", R"({"f": "abcd"})", false},
    {"wildcard_leading", R"({"f": [{"wildcard": "*.png"}]})", R"({"f": "a.png"})", true},
    {"wildcard_trailing", R"({"f": [{"wildcard": "a*"}]})", R"({"f": "abc"})", true},
    {"wildcard_trailing_other", R"({"f": [{"wildcard": "a*"}]})", R"({"f": "bac"})", false},
    {"wildcard_many", R"({"f": [{"wildcard": "a*b*c"}]})", R"({"f": "axxbyyc"})", true},
    {"wildcard_many_order", R"({"f": [{"wildcard": "a*b*c"}]})", R"({"f": "acb"})", false},
    {"wildcard_overlap", R"({"f": [{"wildcard": "ab*ba"}]})", R"({"f": "aba"})", false},
    {"wildcard_overlap_ok", R"({"f": [{"wildcard": "ab*ba"}]})", R"({"f": "abba"})", true},
    {"wildcard_repeated_parts", R"({"f": [{"wildcard": "*a*a*"}]})", R"({"f": "xaxax"})", true},
    {"wildcard_repeated_parts_one", R"({"f": [{"wildcard": "*a*a*"}]})", R"({"f": "xax"})", false},
    {"wildcard_escaped_star", R"({"f": [{"wildcard": "a\\*b"}]})", R"({"f": "a*b"})", true},
    {"wildcard_escaped_star_literal", R"({"f": [{"wildcard": "a\\*b"}]})", R"({"f": "axb"})", false},
    {"wildcard_escaped_backslash", R"({"f": [{"wildcard": "a\\\\*"}]})", R"({"f": "a\\bc"})", true},
    {"wildcard_case_sensitive", R"({"f": [{"wildcard": "A*"}]})", R"({"f": "abc"})", false},

    // anything-but
    {"anything_but_string", R"({"detail": {"state": [{"anything-but": "initializing"}]}})", kEc2Event, true},
    {"anything_but_string_excluded", R"({"detail": {"state": [{"anything-but": "running"}]}})", kEc2Event, false},
    {"anything_but_list", R"({"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}})", kEc2Event, true},
    {"anything_but_list_excluded", R"({"detail": {"state": [{"anything-but": ["stopped", "running"]}]}})", kEc2Event, false},
    {"anything_but_number", R"({"detail": {"x-limit": [{"anything-but": 123}]}})", kEc2Event, true},
    {"anything_but_number_excluded", R"({"detail": {"c-count": [{"anything-but": 5}]}})", kEc2Event, false},
    {"anything_but_number_list", R"({"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}})", kEc2Event, true},
    {"anything_but_number_list_float", R"({"n": [{"anything-but": [100, 200, 300]}]})", R"({"n": 300.0})", false},
    {"anything_but_missing_field", R"({"state": [{"anything-but": "x"}]})", R"({"other": 1})", false},
    {"anything_but_string_vs_number", R"({"n": [{"anything-but": "5"}]})", R"({"n": 5})", true},
    {"anything_but_number_vs_string", R"({"n": [{"anything-but": 5}]})", R"({"n": "5"})", true},
    {"anything_but_null_value", R"({"n": [{"anything-but": "x"}]})", R"({"n": null})", true},
    {"anything_but_array_any_other", R"({"s": [{"anything-but": "a"}]})", R"({"s": ["a", "b"]})", true},
    {"anything_but_array_all_excluded", R"({"s": [{"anything-but": ["a", "b"]}]})", R"({"s": ["a", "b"]})", false},
    {"anything_but_case_sensitive", R"({"s": [{"anything-but": "Running"}]})", R"({"s": "running"})", true},
    {"anything_but_prefix", R"({"detail": {"state": [{"anything-but": {"prefix": "init"}}]}})", kEc2Event, true},
    {"anything_but_prefix_excluded", R"({"detail": {"state": [{"anything-but": {"prefix": "run"}}]}})", kEc2Event, false},
    {"anything_but_prefix_number", R"({"n": [{"anything-but": {"prefix": "1"}}]})", R"({"n": 1})", true},
    {"anything_but_suffix", R"({"f": [{"anything-but": {"suffix": ".png"}}]})", R"({"f": "a.jpg"})", true},
    {"anything_but_suffix_excluded", R"({"f": [{"anything-but": {"suffix": ".png"}}]})", R"({"f": "a.png"})", false},
    {"anything_but_ignore_case", R"({"s": [{"anything-but": {"equals-ignore-case": "initializing"}}]})",
     R"({"s": "running"})", true},
    {"anything_but_ignore_case_excluded", R"({"s": [{"anything-but": {"equals-ignore-case": "initializing"}}]})",
     R"({"s": "INITIALIZING"})", false},
    {"anything_but_ignore_case_list", R"({"s": [{"anything-but": {"equals-ignore-case": ["a", "B"]}}]})",
     R"({"s": "b"})", false},
    {"anything_but_wildcard", R"({"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]})",
     R"({"FilePath": "/usr/bin/x"})", true},
    {"anything_but_wildcard_excluded", R"({"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]})",
     R"({"FilePath": "/usr/lib/x"})", false},
    {"anything_but_wildcard_list", R"({"f": [{"anything-but": {"wildcard": ["*.png", "*.jpg"]}}]})",
     R"({"f": "a.jpg"})", false},
    {"anything_but_or_exact", R"({"s": ["a", {"anything-but": "a"}]})", R"({"s": "a"})", true},

    // numeric
    {"numeric_doc_range", R"({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}})", kEc2Event, true},
    {"numeric_doc_less", R"({"detail": {"d-count": [{"numeric": ["<", 10]}]}})", kEc2Event, true},
    {"numeric_doc_equals", R"({"detail": {"x-limit": [{"numeric": ["=", 3.018e2]}]}})", kEc2Event, true},
    {"numeric_equals_int_float", R"({"n": [{"numeric": ["=", 5]}]})", R"({"n": 5.0})", true},
    {"numeric_equals_other", R"({"n": [{"numeric": ["=", 5]}]})", R"({"n": 5.000001})", false},
    {"numeric_gt_boundary", R"({"n": [{"numeric": [">", 5]}]})", R"({"n": 5})", false},
    {"numeric_ge_boundary", R"({"n": [{"numeric": [">=", 5]}]})", R"({"n": 5})", true},
    {"numeric_lt_boundary", R"({"n": [{"numeric": ["<", 5]}]})", R"({"n": 5})", false},
    {"numeric_le_boundary", R"({"n": [{"numeric": ["<=", 5]}]})", R"({"n": 5})", true},
    {"numeric_range_low_open", R"({"n": [{"numeric": [">", 0, "<=", 5]}]})", R"({"n": 0})", false},
    {"numeric_range_high_closed", R"({"n": [{"numeric": [">", 0, "<=", 5]}]})", R"({"n": 5})", true},
    {"numeric_range_above", R"({"n": [{"numeric": [">", 0, "<=", 5]}]})", R"({"n": 5.5})", false},
    {"numeric_range_closed_low", R"({"n": [{"numeric": [">=", 10, "<", 20]}]})", R"({"n": 10})", true},
    {"numeric_range_open_high", R"({"n": [{"numeric": [">=", 10, "<", 20]}]})", R"({"n": 20})", false},
    {"numeric_negative", R"({"n": [{"numeric": ["<", -1.5]}]})", R"({"n": -2})", true},
    {"numeric_fraction", R"({"n": [{"numeric": [">", 0.1, "<", 0.2]}]})", R"({"n": 0.15})", true},
    {"numeric_not_string", R"({"n": [{"numeric": [">", 0]}]})", R"({"n": "5"})", false},
    {"numeric_not_bool", R"({"n": [{"numeric": [">", 0]}]})", R"({"n": true})", false},
    {"numeric_not_null", R"({"n": [{"numeric": ["<", 1]}]})", R"({"n": null})", false},
    {"numeric_missing", R"({"n": [{"numeric": [">", 0]}]})", R"({"m": 5})", false},
    {"numeric_array_any", R"({"n": [{"numeric": [">", 10]}]})", R"({"n": [1, 2, 30]})", true},
    {"numeric_array_none", R"({"n": [{"numeric": [">", 10]}]})", R"({"n": [1, 2, 3]})", false},
    {"numeric_large_event_value", R"({"n": [{"numeric": [">", 5e9]}]})", R"({"n": 1e12})", true},
    {"numeric_two_ranges_or", R"({"n": [{"numeric": ["<", 0]}, {"numeric": [">", 100]}]})", R"({"n": 150})", true},
    {"numeric_two_ranges_gap", R"({"n": [{"numeric": ["<", 0]}, {"numeric": [">", 100]}]})", R"({"n": 50})", false},

    // exists
    {"exists_true", R"({"detail": {"c-count": [{"exists": true}]}})", kEc2Event, true},
    {"exists_true_missing", R"({"detail": {"e-count": [{"exists": true}]}})", kEc2Event, false},
    {"exists_false_missing", R"({"detail": {"e-count": [{"exists": false}]}})", kEc2Event, true},
    {"exists_false_present", R"({"detail": {"c-count": [{"exists": false}]}})", kEc2Event, false},
    {"exists_false_intermediate_node", R"({"detail": {"c-count": [{"exists": false}]}})",
     R"({"detail": {"state": "x", "c-count": {"c1": 100}}})", true},
    {"exists_true_intermediate_node", R"({"detail": {"c-count": [{"exists": true}]}})",
     R"({"detail": {"c-count": {"c1": 100}}})", false},
    {"exists_true_null", R"({"a": [{"exists": true}]})", R"({"a": null})", true},
    {"exists_false_null", R"({"a": [{"exists": false}]})", R"({"a": null})", false},
    {"exists_true_empty_string", R"({"a": [{"exists": true}]})", R"({"a": ""})", true},
    {"exists_true_array", R"({"a": [{"exists": true}]})", R"({"a": [1]})", true},
    {"exists_true_empty_array", R"({"a": [{"exists": true}]})", R"({"a": []})", false},
    {"exists_false_empty_array", R"({"a": [{"exists": false}]})", R"({"a": []})", true},
    {"exists_false_empty_object", R"({"a": [{"exists": false}]})", R"({"a": {}})", true},
    {"exists_false_replay", R"({"source": ["aws.ec2"], "replay-name": [{"exists": false}]})", kEc2Event, true},
    {"exists_false_replayed", R"({"source": ["aws.ec2"], "replay-name": [{"exists": false}]})",
     R"({"source": "aws.ec2", "replay-name": "r1"})", false},
    {"exists_false_or_value", R"({"a": [{"exists": false}, "x"]})", R"({"a": "x"})", true},
    {"exists_false_or_value_other", R"({"a": [{"exists": false}, "x"]})", R"({"a": "y"})", false},
    {"exists_false_alone_empty_event", R"({"a": [{"exists": false}]})", R"({})", true},
    {"exists_false_nested_missing_parent", R"({"a": {"b": [{"exists": false}]}})", R"({"c": 1})", true},

    // cidr
    {"cidr_ipv4", R"({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}})", kEc2Event, true},
    {"cidr_ipv4_outside", R"({"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}})", kEc2Event, false},
    {"cidr_ipv4_wide", R"({"ip": [{"cidr": "10.0.0.0/8"}]})", R"({"ip": "10.255.1.2"})", true},
    {"cidr_ipv4_odd_bits", R"({"ip": [{"cidr": "192.168.0.0/23"}]})", R"({"ip": "192.168.1.200"})", true},
    {"cidr_ipv4_odd_bits_outside", R"({"ip": [{"cidr": "192.168.0.0/23"}]})", R"({"ip": "192.168.2.1"})", false},
    {"cidr_ipv4_host", R"({"ip": [{"cidr": "1.2.3.4/32"}]})", R"({"ip": "1.2.3.4"})", true},
    {"cidr_ipv4_host_other", R"({"ip": [{"cidr": "1.2.3.4/32"}]})", R"({"ip": "1.2.3.5"})", false},
    {"cidr_ipv4_all", R"({"ip": [{"cidr": "0.0.0.0/0"}]})", R"({"ip": "8.8.8.8"})", true},
    {"cidr_not_an_address", R"({"ip": [{"cidr": "10.0.0.0/8"}]})", R"({"ip": "10.0.0.x"})", false},
    {"cidr_not_a_string", R"({"ip": [{"cidr": "10.0.0.0/8"}]})", R"({"ip": 10})", false},
    {"cidr_ipv6", R"({"ip": [{"cidr": "2001:db8::/32"}]})", R"({"ip": "2001:db8:1::5"})", true},
    {"cidr_ipv6_outside", R"({"ip": [{"cidr": "2001:db8::/32"}]})", R"({"ip": "2001:db9::5"})", false},
    {"cidr_ipv6_odd_bits", R"({"ip": [{"cidr": "fe80::/10"}]})", R"({"ip": "febf::1"})", true},
    {"cidr_ipv6_odd_bits_outside", R"({"ip": [{"cidr": "fe80::/10"}]})", R"({"ip": "fec0::1"})", false},
    {"cidr_family_mismatch", R"({"ip": [{"cidr": "::/0"}]})", R"({"ip": "10.0.0.1"})", false},
    {"cidr_in_array", R"({"ip": [{"cidr": "10.0.0.0/8"}]})", R"({"ip": ["192.168.0.1", "10.1.1.1"]})", true},

    // $or
    {"or_first", R"({"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]})",
     R"({"source": "aws.cloudwatch", "metricName": "CPUUtilization"})", true},
    {"or_second", R"({"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]})",
     R"({"source": "aws.cloudwatch", "namespace": "AWS/EC2"})", true},
    {"or_neither", R"({"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]})",
     R"({"source": "aws.cloudwatch", "namespace": "AWS/ES"})", false},
    {"or_and_outside_fails", R"({"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]})",
     R"({"source": "aws.ec2", "namespace": "AWS/EC2"})", false},
    {"or_nested_in_field", R"({"detail": {"$or": [{"source": ["a"]}, {"detail-type": ["b"]}]}})",
     R"({"detail": {"detail-type": "b"}})", true},
    {"or_nested_in_field_top_level_ignored", R"({"detail": {"$or": [{"source": ["a"]}, {"detail-type": ["b"]}]}})",
     R"({"source": "a", "detail": {"x": 1}})", false},
    {"or_parallel", R"({"$or": [{"a": [1]}, {"b": [2]}], "c": {"$or": [{"d": [3]}, {"e": [4]}]}})",
     R"({"b": 2, "c": {"d": 3}})", true},
    {"or_parallel_one_side", R"({"$or": [{"a": [1]}, {"b": [2]}], "c": {"$or": [{"d": [3]}, {"e": [4]}]}})",
     R"({"b": 2, "c": {"f": 3}})", false},
    {"or_with_and_inside", R"({"$or": [{"a": [1]}, {"b": [2], "c": [3]}]})", R"({"b": 2, "c": 3})", true},
    {"or_with_and_inside_half", R"({"$or": [{"a": [1]}, {"b": [2], "c": [3]}]})", R"({"b": 2, "c": 4})", false},
    {"or_nested_or", R"({"$or": [{"a": [1]}, {"b": [2], "$or": [{"m": [1234]}, {"s": [1000]}]}]})",
     R"({"b": 2, "s": 1000})", true},
    {"or_nested_or_missing", R"({"$or": [{"a": [1]}, {"b": [2], "$or": [{"m": [1234]}, {"s": [1000]}]}]})",
     R"({"b": 2, "s": 1001})", false},
    {"or_three_way", R"({"$or": [{"a": [1]}, {"b": [2]}, {"c": [3]}]})", R"({"c": 3})", true},
    {"or_with_operators", R"({"$or": [{"n": [{"numeric": [">", 10]}]}, {"s": [{"prefix": "x"}]}]})",
     R"({"n": 1, "s": "xyz"})", true},
    {"or_with_exists_false", R"({"$or": [{"a": [{"exists": false}]}, {"a": ["x"]}]})", R"({"a": "x"})", true},
    {"or_object_is_field_name", R"({"$or": {"t": ["x"]}})", R"({"$or": {"t": "x"}})", true},
    {"or_with_operator_keys_is_field_name", R"({"$or": [{"prefix": "ab"}, {"numeric": [">", 1]}]})",
     R"({"$or": "abc"})", true},
    {"or_with_operator_keys_not_or", R"({"$or": [{"prefix": "ab"}, {"numeric": [">", 1]}]})",
     R"({"prefix": "abc"})", false},

    // Mixed operators in one field and the documented complex rule.
    {"mixed_alternatives", R"({"s": [{"prefix": "a"}, {"suffix": "z"}, "m"]})", R"({"s": "bz"})", true},
    {"mixed_alternatives_none", R"({"s": [{"prefix": "a"}, {"suffix": "z"}, "m"]})", R"({"s": "bb"})", false},
    {"doc_complex",
     R"({"time": [{"prefix": "2017-10-02"}],
         "detail": {"state": [{"anything-but": "initializing"}], "c-count": [{"numeric": [">", 0, "<=", 5]}],
                    "d-count": [{"numeric": ["<", 10]}], "x-limit": [{"anything-but": [100, 200, 300]}],
                    "source-ip": [{"cidr": "10.0.0.0/8"}]}})", kEc2Event, true},
    {"doc_complex_one_off",
     R"({"time": [{"prefix": "2017-10-02"}],
         "detail": {"state": [{"anything-but": "running"}], "c-count": [{"numeric": [">", 0, "<=", 5]}]}})",
     kEc2Event, false},
    {"same_field_twice_via_or", R"({"a": ["x"], "$or": [{"a": [{"prefix": "x"}]}, {"b": [1]}]})", R"({"a": "xy"})", false},
    {"same_field_twice_via_or_array", R"({"a": ["x"], "$or": [{"a": [{"prefix": "y"}]}, {"b": [1]}]})",
     R"({"a": ["x", "yz"]})", true},
};

class PatternMatchTest : public testing::TestWithParam<MatchCase> {};

TEST_P(PatternMatchTest, MatchesAsEventBridgeDoes) {
  const MatchCase& c = GetParam();
  auto pattern = Pattern::Parse(c.pattern);
  ASSERT_TRUE(pattern.has_value()) << pattern.error().ToString();
  const auto event = nlohmann::json::parse(c.event);
  EXPECT_EQ(pattern->Matches(event), c.matches);

  PatternIndex index;
  ASSERT_TRUE(index.Add("rule", *pattern).ok());
  const std::vector<std::string> expected =
      c.matches ? std::vector<std::string>{"rule"} : std::vector<std::string>{};
  EXPECT_EQ(index.Match(event), expected) << "the index disagrees with the pattern";
}

INSTANTIATE_TEST_SUITE_P(Operators, PatternMatchTest, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<MatchCase>& info) { return info.param.name; });

}  // namespace
}  // namespace tarn::events
