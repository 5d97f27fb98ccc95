// sqlite3.h as Debian installs it, wrapped by a generated shim built against
// the system's libsqlite3 and used for real: the test links only the shim.
// sqlite3_mprintf and sqlite3_snprintf are variadic: their wrappers pass the
// variable arguments on to sqlite3_vmprintf and sqlite3_vsnprintf.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstring>
#include <string>
#include <vector>

#include "sqlite3_shimpool.h"

namespace {

shimpool_stats stats() {
  shimpool_stats s{};
  EXPECT_EQ(shimpool_sqlite3_stats(&s, sizeof s), 0);
  return s;
}

std::string take(char *text) {
  std::string copy = text ? text : "(null)";
  sqlite3_free(text);
  return copy;
}

TEST(Sqlite3Shim, TheTestLinksTheShimNotTheOriginal) {
  for (const char *name : {"sqlite3_open", "sqlite3_mprintf"}) {
    void *symbol = dlsym(RTLD_DEFAULT, name);
    ASSERT_NE(symbol, nullptr) << name;
    Dl_info info{};
    ASSERT_NE(dladdr(symbol, &info), 0);
    EXPECT_NE(std::strstr(info.dli_fname, "libsqlite3_shim"), nullptr) << info.dli_fname;
  }
  // Denied functions are not exported.
  EXPECT_EQ(dlsym(RTLD_DEFAULT, "sqlite3_log_session"), nullptr);
}

TEST(Sqlite3Shim, VariadicFunctionsGoThroughTheirVaListTwins) {
  const uint64_t before = stats().calls;
  EXPECT_EQ(take(sqlite3_mprintf("%d-%s-%.2f-%q", 42, "abc", 2.5, "it's")), "42-abc-2.50-it''s");
  EXPECT_GT(stats().calls, before) << "sqlite3_mprintf took no lease";
  char buffer[16];
  EXPECT_EQ(std::string(sqlite3_snprintf(sizeof buffer, buffer, "%05d|%x", 7, 255)), "00007|ff");
  EXPECT_EQ(take(sqlite3_mprintf("%lld %c %%", 1234567890123LL, 'z')), "1234567890123 z %");
  EXPECT_EQ(stats().creation_failures, 0u);
}

TEST(Sqlite3Shim, InMemoryDatabase) {
  // A connection belongs to the instance that opened it: a thread-bound
  // session keeps every call of this test on one instance (one lease for all).
  const uint64_t before = stats().calls;
  ASSERT_EQ(shimpool_sqlite3_session_begin(), 0);
  sqlite3 *db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  char *error = nullptr;
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL)",
                         nullptr, nullptr, &error),
            SQLITE_OK)
      << (error ? error : "");

  sqlite3_stmt *insert = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "INSERT INTO t(name, score) VALUES(?, ?)", -1, &insert, nullptr),
            SQLITE_OK);
  const std::vector<std::pair<std::string, double>> rows{{"ada", 9.5}, {"bob", 7.25}, {"cy", -1}};
  for (const auto &[name, score] : rows) {
    ASSERT_EQ(sqlite3_bind_text(insert, 1, name.c_str(), -1, SQLITE_TRANSIENT), SQLITE_OK);
    ASSERT_EQ(sqlite3_bind_double(insert, 2, score), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(insert), SQLITE_DONE);
    ASSERT_EQ(sqlite3_reset(insert), SQLITE_OK);
  }
  EXPECT_EQ(sqlite3_finalize(insert), SQLITE_OK);
  EXPECT_EQ(sqlite3_last_insert_rowid(db), 3);

  // A statement built with the variadic sqlite3_mprintf, %Q quoting included.
  std::string sql = take(sqlite3_mprintf("INSERT INTO t(name, score) VALUES(%Q, %d)", "d'ez", 4));
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << (error ? error : "");
  EXPECT_EQ(sqlite3_changes(db), 1);

  sqlite3_stmt *query = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT id, name, score FROM t ORDER BY score DESC", -1, &query,
                               nullptr),
            SQLITE_OK);
  std::vector<std::string> seen;
  while (sqlite3_step(query) == SQLITE_ROW) {
    seen.push_back(take(sqlite3_mprintf(
        "%d:%s:%g", sqlite3_column_int(query, 0),
        reinterpret_cast<const char *>(sqlite3_column_text(query, 1)),
        sqlite3_column_double(query, 2))));
  }
  EXPECT_EQ(sqlite3_finalize(query), SQLITE_OK);
  EXPECT_EQ(seen, (std::vector<std::string>{"1:ada:9.5", "2:bob:7.25", "4:d'ez:4", "3:cy:-1"}));
  EXPECT_STREQ(sqlite3_libversion(), SQLITE_VERSION);
  EXPECT_EQ(sqlite3_close(db), SQLITE_OK);

  EXPECT_EQ(shimpool_sqlite3_session_end(), 0);
  const shimpool_stats after = stats();
  EXPECT_EQ(after.calls, before + 1) << "the session's calls did not go through the pool";
  EXPECT_GE(after.live_instances, 1u);
  EXPECT_EQ(after.creation_failures, 0u);
}

}  // namespace
