// See prepare_graph.hpp.
#include "api/prepare_graph.hpp"

#include "ir/shape_inference.hpp"
#include "onnx/writer.hpp"
#include "runtime/kernel.hpp"

namespace octet {

passes::PassLog prepare_graph(ir::Graph& graph, const PrepareOptions& options) {
  ir::set_input_shapes(graph, options.input_shapes, options.batch);
  ir::infer_shapes(graph, /*require_static=*/false);
  if (options.raise_opset_to_13) onnx_io::raise_opset_to_13(graph);
  passes::PassOptions pass_options;
  pass_options.evaluate = rt::evaluate_node;  // constant folding runs the reference kernels
  pass_options.fuse = options.fuse;
  pass_options.verbose = options.verbose;
  passes::PassLog log = passes::optimize(graph, pass_options);
  ir::infer_shapes(graph, options.require_static);
  return log;
}

}  // namespace octet
