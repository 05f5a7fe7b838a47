// The target is its header (CPrefetch.h); SwiftPM wants one source file for a C target.
#include "CPrefetch.h"
