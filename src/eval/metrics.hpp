// The built-in metrics' constructors, gathered by metric_table.cpp into the one name table.
#pragma once
#include <memory>

#include "octet/eval.hpp"

namespace octet::eval {

std::unique_ptr<Metric> make_topk(int k);
std::unique_ptr<Metric> make_agreement();
std::unique_ptr<Metric> make_cosine();
std::unique_ptr<Metric> make_sqnr();
std::unique_ptr<Metric> make_max_abs();

}  // namespace octet::eval
