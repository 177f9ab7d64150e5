/*
 * ref_log.c: log lines, the decision notes and the clocks (ref_log.h).
 */
#include "ref_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char log_role[32] = "ddref";
static FILE *log_stream;

/* The notes: key -> hash of the last text, open addressing. */
#define NOTE_SLOTS 4096
struct note_slot {
    int64_t key;
    uint64_t hash;
    int used;
};
static struct note_slot notes[NOTE_SLOTS];

void ref_log_init(const char *role, FILE *stream)
{
    pthread_mutex_lock(&log_mu);
    snprintf(log_role, sizeof log_role, "%s", role ? role : "ddref");
    log_stream = stream;
    pthread_mutex_unlock(&log_mu);
}

static void write_line(const char *text)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    time_t secs = tv.tv_sec;
    localtime_r(&secs, &tm);
    FILE *f = log_stream ? log_stream : stderr;
    fprintf(f, "%02d:%02d:%02d.%03d %s[%d] %s\n", tm.tm_hour, tm.tm_min,
            tm.tm_sec, (int)(tv.tv_usec / 1000), log_role, (int)getpid(), text);
    fflush(f);
}

void ref_log(const char *fmt, ...)
{
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&log_mu);
    write_line(text);
    pthread_mutex_unlock(&log_mu);
}

/* FNV-1a. */
static uint64_t hash_text(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

int ref_note(int64_t key, const char *fmt, ...)
{
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    uint64_t h = hash_text(text);
    pthread_mutex_lock(&log_mu);
    size_t i =
        (size_t)(((uint64_t)key * 0x9E3779B97F4A7C15ULL) >> 20) % NOTE_SLOTS;
    size_t probes = 0;
    while (notes[i].used && notes[i].key != key && probes < NOTE_SLOTS) {
        i = (i + 1) % NOTE_SLOTS;
        probes++;
    }
    int wrote = 0;
    if (probes == NOTE_SLOTS) { /* full: just log */
        write_line(text);
        wrote = 1;
    } else if (!notes[i].used || notes[i].hash != h) {
        notes[i].used = 1;
        notes[i].key = key;
        notes[i].hash = h;
        write_line(text);
        wrote = 1;
    }
    pthread_mutex_unlock(&log_mu);
    return wrote;
}

void ref_note_reset(void)
{
    pthread_mutex_lock(&log_mu);
    memset(notes, 0, sizeof notes);
    pthread_mutex_unlock(&log_mu);
}

void ref_copy(char *dst, size_t cap, const char *src)
{
    if (!cap)
        return;
    size_t n = src ? strlen(src) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

int64_t ref_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t ref_now_s(void)
{
    return (int64_t)time(NULL);
}

int64_t ref_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ref_sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}
