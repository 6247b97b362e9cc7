// libyaml for the configuration loader, which reads discovery details with line and column marks.
#pragma once

#include <yaml.h>
