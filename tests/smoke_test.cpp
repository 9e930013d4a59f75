#include <gtest/gtest.h>
#include "ir/op_kind.hpp"
TEST(OpKind, RoundTripsNames) {
  for (auto op : octet::ir::all_op_kinds()) {
    auto name = octet::ir::op_name(op);
    auto back = octet::ir::op_is_internal(op) ? octet::ir::internal_op_from_name(name) : octet::ir::onnx_op_from_name(name);
    ASSERT_TRUE(back.has_value()) << name;
    EXPECT_EQ(*back, op);
  }
}
