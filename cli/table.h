// Tables as docker prints them: left-aligned columns separated by at least three spaces.
#pragma once

#include <string>
#include <vector>

namespace berth::cli {

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

}  // namespace berth::cli
