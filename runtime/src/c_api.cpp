// The extern "C" surface of tern/runtime.h over the C++ core in model.h. No C++ exception crosses it.
#include "tern/runtime.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>

#include "model.h"

#ifndef TERN_VERSION
#define TERN_VERSION "0.0.0"
#endif

struct tern_model {
  std::shared_ptr<const tern::Model> model;
};

struct tern_session {
  tern::Session session;
};

namespace {

tern_status report(char *errbuf, size_t errlen, tern_status status, const std::string &message) {
  if (errbuf && errlen > 0) std::snprintf(errbuf, errlen, "%s", message.c_str());
  return status;
}

void clearError(char *errbuf, size_t errlen) {
  if (errbuf && errlen > 0) errbuf[0] = '\0';
}

}  // namespace

extern "C" {

const char *tern_runtime_version(void) { return TERN_VERSION; }

const char *tern_status_string(tern_status status) {
  switch (status) {
    case TERN_OK: return "ok";
    case TERN_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case TERN_ERROR_LOAD: return "load error";
    case TERN_ERROR_EXECUTION: return "execution error";
    case TERN_ERROR_OUT_OF_MEMORY: return "out of memory";
  }
  return "unknown status";
}

tern_status tern_model_open(const char *path, tern_model **model, char *errbuf, size_t errlen) {
  clearError(errbuf, errlen);
  if (!model) return report(errbuf, errlen, TERN_ERROR_INVALID_ARGUMENT, "model is null");
  *model = nullptr;
  if (!path) return report(errbuf, errlen, TERN_ERROR_INVALID_ARGUMENT, "path is null");
  try {
    std::string error;
    std::shared_ptr<const tern::Model> loaded = tern::Model::open(path, &error);
    if (!loaded) return report(errbuf, errlen, TERN_ERROR_LOAD, error);
    *model = new tern_model{std::move(loaded)};
    return TERN_OK;
  } catch (const std::bad_alloc &) {
    return report(errbuf, errlen, TERN_ERROR_OUT_OF_MEMORY, std::string(path) + ": out of memory");
  } catch (const std::exception &e) {
    return report(errbuf, errlen, TERN_ERROR_LOAD, std::string(path) + ": " + e.what());
  }
}

void tern_model_close(tern_model *model) { delete model; }

tern_status tern_model_info(const tern_model *model, tern_model_info_t *info) {
  if (!model || !info) return TERN_ERROR_INVALID_ARGUMENT;
  const tern::ArtifactManifest &m = model->model->manifest();
  info->vocab_size = m.vocabSize;
  info->hidden_size = m.hiddenSize;
  info->num_layers = m.numLayers;
  info->bos_token_id = m.bosTokenId;
  info->eos_token_id = m.eosTokenId;
  return TERN_OK;
}

tern_status tern_session_create(tern_model *model, tern_session **session) {
  if (!session) return TERN_ERROR_INVALID_ARGUMENT;
  *session = nullptr;
  if (!model) return TERN_ERROR_INVALID_ARGUMENT;
  try {
    *session = new tern_session{tern::Session(model->model)};
    return TERN_OK;
  } catch (const std::bad_alloc &) {
    return TERN_ERROR_OUT_OF_MEMORY;
  }
}

void tern_session_destroy(tern_session *session) { delete session; }

void tern_session_reset(tern_session *session) {
  if (session) session->session.reset();
}

tern_status tern_session_forward(tern_session *session, const int32_t *ids, size_t n,
                                 tern_logits which, float *logits_out, char *errbuf,
                                 size_t errlen) {
  clearError(errbuf, errlen);
  if (!session) return report(errbuf, errlen, TERN_ERROR_INVALID_ARGUMENT, "session is null");
  tern::LogitsWanted wanted;
  switch (which) {
    case TERN_LOGITS_NONE: wanted = tern::LogitsWanted::None; break;
    case TERN_LOGITS_LAST: wanted = tern::LogitsWanted::Last; break;
    case TERN_LOGITS_ALL: wanted = tern::LogitsWanted::All; break;
    default:
      return report(errbuf, errlen, TERN_ERROR_INVALID_ARGUMENT,
                    "unknown tern_logits value " + std::to_string(static_cast<int>(which)));
  }
  try {
    std::string error;
    switch (session->session.forward(ids, n, wanted, logits_out, &error)) {
      case tern::RunOutcome::Ok: return TERN_OK;
      case tern::RunOutcome::BadInput:
        return report(errbuf, errlen, TERN_ERROR_INVALID_ARGUMENT, error);
      case tern::RunOutcome::BrokenAbi:
        return report(errbuf, errlen, TERN_ERROR_EXECUTION, error);
    }
    return TERN_ERROR_EXECUTION;
  } catch (const std::bad_alloc &) {
    return report(errbuf, errlen, TERN_ERROR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception &e) {
    return report(errbuf, errlen, TERN_ERROR_EXECUTION, e.what());
  }
}

tern_status tern_session_get_state(const tern_session *session, float *state_out, size_t count) {
  if (!session || !state_out) return TERN_ERROR_INVALID_ARGUMENT;
  const std::vector<float> &state = session->session.state();
  if (count != state.size()) return TERN_ERROR_INVALID_ARGUMENT;
  std::memcpy(state_out, state.data(), sizeof(float) * count);
  return TERN_OK;
}

}  // extern "C"
