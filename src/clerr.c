/* clerr.c: OpenCL and CLBlast status names, and the check functions behind CL_CHECK (clerr.h). */
#include "clnet/clerr.h"

#include <clblast_c.h>
#include <stddef.h>

#include "clnet/util.h"

const char *cl_status_name(int status)
{
    switch (status) {
#define S(name, value) case value: return #name;
    S(CL_SUCCESS, 0) S(CL_DEVICE_NOT_FOUND, -1) S(CL_DEVICE_NOT_AVAILABLE, -2)
    S(CL_COMPILER_NOT_AVAILABLE, -3) S(CL_MEM_OBJECT_ALLOCATION_FAILURE, -4)
    S(CL_OUT_OF_RESOURCES, -5) S(CL_OUT_OF_HOST_MEMORY, -6)
    S(CL_PROFILING_INFO_NOT_AVAILABLE, -7) S(CL_MEM_COPY_OVERLAP, -8)
    S(CL_IMAGE_FORMAT_MISMATCH, -9) S(CL_IMAGE_FORMAT_NOT_SUPPORTED, -10)
    S(CL_BUILD_PROGRAM_FAILURE, -11) S(CL_MAP_FAILURE, -12)
    S(CL_MISALIGNED_SUB_BUFFER_OFFSET, -13)
    S(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST, -14) S(CL_COMPILE_PROGRAM_FAILURE, -15)
    S(CL_LINKER_NOT_AVAILABLE, -16) S(CL_LINK_PROGRAM_FAILURE, -17)
    S(CL_DEVICE_PARTITION_FAILED, -18) S(CL_KERNEL_ARG_INFO_NOT_AVAILABLE, -19)
    S(CL_INVALID_VALUE, -30) S(CL_INVALID_DEVICE_TYPE, -31) S(CL_INVALID_PLATFORM, -32)
    S(CL_INVALID_DEVICE, -33) S(CL_INVALID_CONTEXT, -34) S(CL_INVALID_QUEUE_PROPERTIES, -35)
    S(CL_INVALID_COMMAND_QUEUE, -36) S(CL_INVALID_HOST_PTR, -37) S(CL_INVALID_MEM_OBJECT, -38)
    S(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR, -39) S(CL_INVALID_IMAGE_SIZE, -40)
    S(CL_INVALID_SAMPLER, -41) S(CL_INVALID_BINARY, -42) S(CL_INVALID_BUILD_OPTIONS, -43)
    S(CL_INVALID_PROGRAM, -44) S(CL_INVALID_PROGRAM_EXECUTABLE, -45)
    S(CL_INVALID_KERNEL_NAME, -46) S(CL_INVALID_KERNEL_DEFINITION, -47)
    S(CL_INVALID_KERNEL, -48) S(CL_INVALID_ARG_INDEX, -49) S(CL_INVALID_ARG_VALUE, -50)
    S(CL_INVALID_ARG_SIZE, -51) S(CL_INVALID_KERNEL_ARGS, -52)
    S(CL_INVALID_WORK_DIMENSION, -53) S(CL_INVALID_WORK_GROUP_SIZE, -54)
    S(CL_INVALID_WORK_ITEM_SIZE, -55) S(CL_INVALID_GLOBAL_OFFSET, -56)
    S(CL_INVALID_EVENT_WAIT_LIST, -57) S(CL_INVALID_EVENT, -58) S(CL_INVALID_OPERATION, -59)
    S(CL_INVALID_GL_OBJECT, -60) S(CL_INVALID_BUFFER_SIZE, -61) S(CL_INVALID_MIP_LEVEL, -62)
    S(CL_INVALID_GLOBAL_WORK_SIZE, -63) S(CL_INVALID_PROPERTY, -64)
    S(CL_INVALID_IMAGE_DESCRIPTOR, -65) S(CL_INVALID_COMPILER_OPTIONS, -66)
    S(CL_INVALID_LINKER_OPTIONS, -67) S(CL_INVALID_DEVICE_PARTITION_COUNT, -68)
    S(CL_PLATFORM_NOT_FOUND_KHR, -1001)
    S(CLBlastNotImplemented, -1024) S(CLBlastInvalidMatrixA, -1022)
    S(CLBlastInvalidMatrixB, -1021) S(CLBlastInvalidMatrixC, -1020)
    S(CLBlastInvalidVectorX, -1019) S(CLBlastInvalidVectorY, -1018)
    S(CLBlastInvalidDimension, -1017) S(CLBlastInvalidLeadDimA, -1016)
    S(CLBlastInvalidLeadDimB, -1015) S(CLBlastInvalidLeadDimC, -1014)
    S(CLBlastInvalidIncrementX, -1013) S(CLBlastInvalidIncrementY, -1012)
    S(CLBlastInsufficientMemoryA, -1011) S(CLBlastInsufficientMemoryB, -1010)
    S(CLBlastInsufficientMemoryC, -1009) S(CLBlastInsufficientMemoryX, -1008)
    S(CLBlastInsufficientMemoryY, -1007) S(CLBlastInsufficientMemoryTemp, -2050)
    S(CLBlastInvalidBatchCount, -2049) S(CLBlastInvalidOverrideKernel, -2048)
    S(CLBlastMissingOverrideParameter, -2047) S(CLBlastInvalidLocalMemUsage, -2046)
    S(CLBlastNoHalfPrecision, -2045) S(CLBlastNoDoublePrecision, -2044)
    S(CLBlastInvalidVectorScalar, -2043) S(CLBlastInsufficientMemoryScalar, -2042)
    S(CLBlastDatabaseError, -2041) S(CLBlastUnknownError, -2040)
    S(CLBlastUnexpectedError, -2039)
#undef S
    default: return "unknown status";
    }
}

static const char *default_hint(int status)
{
    switch (status) {
    case -4: case -5: case -6: case -61:
        return "the device ran out of memory: try a smaller --batch";
    case -1001:
        return "no OpenCL driver is installed: install pocl-opencl-icd for a CPU device (make deps)";
    case -11:
        return "a kernel failed to compile: see the build log above";
    case -2041:
        return "CLBlast has no tuning entry for this device; report it with `clnet devices`";
    default:
        return NULL;
    }
}

void cl_check(cl_int status, const char *call, const char *file, int line, const char *hint)
{
    if (status == CL_SUCCESS)
        return;
    if (!hint)
        hint = default_hint(status);
    die("OpenCL error %s (%d) in %s at %s:%d%s%s", cl_status_name(status), status, call, file,
        line, hint ? "\nHINT: " : "", hint ? hint : "");
}

void clblast_check(int status, const char *call, const char *file, int line)
{
    if (status == CLBlastSuccess)
        return;
    const char *hint = default_hint(status);
    die("CLBlast error %s (%d) in %s at %s:%d%s%s", cl_status_name(status), status, call, file,
        line, hint ? "\nHINT: " : "", hint ? hint : "");
}
