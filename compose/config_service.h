// One service in `config` output's shape (used by compose/config_output.cpp).
#pragma once

#include <nlohmann/json.hpp>

#include "compose/model.h"

namespace berth::compose {

using OJson = nlohmann::ordered_json;  // keys in insertion order, as printed

OJson service_json(const Service& service);

}  // namespace berth::compose
