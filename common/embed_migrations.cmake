# Writes OUTPUT: a C++ file defining argus::EmbeddedMigrations() from the
# NNNN_name.sql files in DIR, so argusctl carries its schema with it.
file(GLOB files "${DIR}/*.sql")
list(SORT files)
set(body "")
foreach(file IN LISTS files)
  get_filename_component(name ${file} NAME_WE)
  string(REGEX MATCH "^([0-9]+)_(.*)$" _ ${name})
  set(version ${CMAKE_MATCH_1})
  math(EXPR version "${version}")
  file(READ ${file} sql)
  string(APPEND body "      {${version}, \"${CMAKE_MATCH_2}\", R\"argus_sql(${sql})argus_sql\"},\n")
endforeach()
file(WRITE ${OUTPUT}.tmp
"// Generated from deploy/migrations by common/embed_migrations.cmake.
#include \"common/schema_migrator.h\"

namespace argus {

const std::vector<Migration>& EmbeddedMigrations() {
  static const std::vector<Migration> kMigrations = {
${body}  };
  return kMigrations;
}

}  // namespace argus
")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
