// The OpenCV headers octet uses, included once here with their C++20 deprecation warnings
// (enum arithmetic inside OpenCV's own inline code) silenced, so real warnings stay visible.
#pragma once
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-enum-enum-conversion"
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#pragma GCC diagnostic pop
