/* clerr.h: the check macros through which every OpenCL and CLBlast call goes: on failure they
 * print the status by name, the call, file:line and a hint, and exit 1. The lowest part of the
 * runtime: it includes the OpenCL headers for everything above it. */
#ifndef CLNET_CLERR_H
#define CLNET_CLERR_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

/* Check macros: on failure print the status by name, the call, file:line and a hint; exit 1. */
#define CL_CHECK(call) cl_check((call), #call, __FILE__, __LINE__, NULL)
#define CL_CHECK_HINT(call, hint) cl_check((call), #call, __FILE__, __LINE__, (hint))
#define CLB_CHECK(call) clblast_check((int)(call), #call, __FILE__, __LINE__)

void cl_check(cl_int status, const char *call, const char *file, int line, const char *hint);
void clblast_check(int status, const char *call, const char *file, int line);
const char *cl_status_name(int status);

#endif
